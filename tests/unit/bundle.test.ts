/**
 * The authorizer's bundle boundary: built as serverless-esbuild builds it for deploy, read from
 * esbuild's metafile. Every protected request pays the authorizer's cold start, so its bundle
 * stays within 60 KB and carries none of the services' heavy dependencies.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleFunction, functionEntries, packageOf, type BundleInfo } from '../../bench/coldstart';

const ROOT = path.resolve(__dirname, '..', '..');
const BUDGET_BYTES = 60 * 1024;
/** Packages that must stay out: the AWS SDK (and its Smithy core), zod, middy, Powertools. */
const FORBIDDEN = [/^@aws-sdk\//, /^@smithy\//, /^zod$/, /^@middy\//, /^@aws-lambda-powertools\//];

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

  it(`stays within ${BUDGET_BYTES / 1024} KB`, () => {
    const bytes = Object.values(bundle.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
    assert.ok(bytes <= BUDGET_BYTES, `the authorizer bundle is ${(bytes / 1024).toFixed(1)} KB, over ${BUDGET_BYTES / 1024} KB`);
  });

  it('carries no AWS SDK, zod, middy or Powertools', () => {
    const packages = new Set(Object.keys(bundle.metafile.inputs).map(packageOf));
    const found = [...packages].filter((name) => FORBIDDEN.some((pattern) => pattern.test(name)));
    assert.deepEqual(found, []);
  });

  it('is built from the authorizer and the shared code it needs, with aws-jwt-verify', () => {
    const packages = new Set(Object.keys(bundle.metafile.inputs).map(packageOf));
    assert.ok(packages.has('aws-jwt-verify'));
    assert.ok(packages.has('(project) authorizers'));
  });
});
