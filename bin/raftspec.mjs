#!/usr/bin/env node
// The `raftspec` command: runs the TypeScript CLI through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../conformance/cli.ts');
run();
