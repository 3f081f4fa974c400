#!/usr/bin/env node
// kubectl_complete-thurkube: what kubectl's own shell completion (bash, zsh, fish) calls to
// complete `kubectl thurkube ...` (kubectl ≥ 1.26 looks for kubectl_complete-<plugin> on PATH).
import { entry } from './launch.mjs';

await entry('kubectl_complete-thurkube');
