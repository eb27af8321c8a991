#!/usr/bin/env node
// The `mlops` command: runs the TypeScript CLI through tsx, so no build step is needed.
require('tsx/cjs');
require('../client/cli/index.ts');
