#!/usr/bin/env node
// dist/cli.js, the command line's entry: it loads the command line itself (cli-main.js beside it)
// through V8's code cache (launch/code-cache.ts), which spares a run most of the start-up.
import * as path from 'node:path';
import { runMainBundle } from '../launch/code-cache';

runMainBundle(path.join(__dirname, 'cli-main.js'));
