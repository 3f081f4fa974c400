import { stringify } from 'yaml';
import { buildAllCrds, type CustomResourceDefinition, crdName } from './build.js';

const HEADER = '# Generated from shared/ by `npm run gen:crds`. Do not edit by hand.\n';

export function crdYaml(crd: CustomResourceDefinition): string {
  return HEADER + stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** All CRDs as one multi-document stream, ready for `kubectl apply -f -`. */
export function allCrdsYaml(): string {
  return buildAllCrds()
    .map((crd) => `---\n${stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false })}`)
    .join('');
}

/** File name of each generated CRD inside crds/. */
export function crdFiles(): { file: string; content: string }[] {
  return buildAllCrds().map((crd) => ({ file: `${crd.metadata.name}.yaml`, content: crdYaml(crd) }));
}

export { crdName };
