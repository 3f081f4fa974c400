// Starts cmd/<name>.ts through tsx when this checkout has it (its devDependencies), else the
// compiled dist/cmd/<name>.js (npm run build): both resolved from this file, not the cwd.
export async function entry(name) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    await import(new URL(`../dist/cmd/${name}.js`, import.meta.url).href);
    return;
  }
  register();
  await import(new URL(`../cmd/${name}.ts`, import.meta.url).href);
}
