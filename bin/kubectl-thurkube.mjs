#!/usr/bin/env node
// kubectl-thurkube, the kubectl plugin (`kubectl thurkube ...`, package.json "bin"). kubectl runs
// it from the user's working directory, so tsx is resolved from this file: the TypeScript source
// of this checkout runs through tsx when it is installed (development), else the compiled dist/.
import { entry } from './launch.mjs';

await entry('kubectl-thurkube');
