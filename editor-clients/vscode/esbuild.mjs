// Bundles the extension (one CommonJS file, `vscode` left external) and the Node tests.
import * as esbuild from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node18', format: 'cjs', sourcemap: true, logLevel: 'warning' };

await esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] });
await esbuild.build({ ...common, entryPoints: ['test/server.test.ts'], outfile: 'out/test/server.test.js' });
