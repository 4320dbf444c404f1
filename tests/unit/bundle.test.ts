/**
 * Bundle boundaries: every function built as serverless-esbuild builds it for deploy (with
 * serverless.yml's `custom.esbuild.exclude` as externals), read from esbuild's metafile. Every
 * protected request pays the authorizer's cold start, so its bundle stays within 60 KB and
 * carries none of the services' heavy dependencies. Each service function stays within 250 KB:
 * the AWS SDK v3 comes from the Lambda runtime, and validation is zod/mini, not classic zod.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Metafile } from 'esbuild';
import { bundleFunction, esbuildExternals, functionEntries, packageOf, type BundleInfo } from '../../bench/coldstart';

const ROOT = path.resolve(__dirname, '..', '..');
const AUTHORIZER_BUDGET_BYTES = 60 * 1024;
const SERVICE_BUDGET_BYTES = 250 * 1024;
/** Packages that must stay out of the authorizer: the AWS SDK (and its Smithy core), zod, middy, Powertools. */
const FORBIDDEN = [/^@aws-sdk\//, /^@smithy\//, /^zod$/, /^@middy\//, /^@aws-lambda-powertools\//];

const bytesOf = (metafile: Metafile) => Object.values(metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
const packagesOf = (metafile: Metafile) => new Set(Object.keys(metafile.inputs).map(packageOf));

describe('the esbuild settings', () => {
  it('leave exactly the AWS SDK v3 to the Lambda runtime', () => {
    assert.deepEqual(esbuildExternals(ROOT), ['@aws-sdk/*']);
  });
});

describe("the authorizer's bundle", () => {
  let out: string;
  let bundle: BundleInfo;

  beforeAll(async () => {
    out = mkdtempSync(path.join(os.tmpdir(), 'authorizer-bundle-'));
    const entry = functionEntries(ROOT).find((fn) => fn.name === 'authorizer');
    assert.ok(entry, 'serverless.yml has an authorizer function');
    bundle = await bundleFunction(ROOT, out, entry);
  });

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it(`stays within ${AUTHORIZER_BUDGET_BYTES / 1024} KB`, () => {
    const bytes = bytesOf(bundle.metafile);
    assert.ok(bytes <= AUTHORIZER_BUDGET_BYTES, `the authorizer bundle is ${(bytes / 1024).toFixed(1)} KB, over ${AUTHORIZER_BUDGET_BYTES / 1024} KB`);
  });

  it('carries no AWS SDK, zod, middy or Powertools', () => {
    const found = [...packagesOf(bundle.metafile)].filter((name) => FORBIDDEN.some((pattern) => pattern.test(name)));
    assert.deepEqual(found, []);
  });

  it('carries nothing of the secret vault (it never opens a sealed secret)', () => {
    assert.deepEqual(Object.keys(bundle.metafile.inputs).filter((input) => input.startsWith('lib/secrets/')), []);
  });

  it('is built from the authorizer and the shared code it needs, with aws-jwt-verify', () => {
    const packages = packagesOf(bundle.metafile);
    assert.ok(packages.has('aws-jwt-verify'));
    assert.ok(packages.has('(project) authorizers'));
  });
});

describe("the service functions' bundles", () => {
  // Two functions may share an entry (cognitoTrigger and cognitoSync): built once.
  const entries = [...new Map(functionEntries(ROOT).filter((fn) => fn.name !== 'authorizer').map((fn) => [fn.entry, fn])).values()];
  let out: string;
  const bundles = new Map<string, BundleInfo>();

  beforeAll(async () => {
    out = mkdtempSync(path.join(os.tmpdir(), 'service-bundles-'));
    for (const fn of entries) bundles.set(fn.entry, await bundleFunction(ROOT, out, fn));
  }, 60_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('cover every function of serverless.yml but the authorizer', () => {
    assert.ok(entries.length >= 6, `only ${entries.length} service entries found`);
  });

  for (const fn of entries) {
    it(`${fn.entry} stays within ${SERVICE_BUDGET_BYTES / 1024} KB, without the AWS SDK or classic zod`, () => {
      const bundle = bundles.get(fn.entry)!;
      const bytes = bytesOf(bundle.metafile);
      assert.ok(bytes <= SERVICE_BUDGET_BYTES, `${fn.entry} is ${(bytes / 1024).toFixed(1)} KB, over ${SERVICE_BUDGET_BYTES / 1024} KB`);
      const packages = packagesOf(bundle.metafile);
      assert.deepEqual([...packages].filter((name) => /^@aws-sdk\/|^@smithy\//.test(name)), []);
      assert.deepEqual(Object.keys(bundle.metafile.inputs).filter((input) => input.includes('node_modules/zod/v4/classic/')), []);
    });
  }
});
