// Checks OpenAPI and AsyncAPI documents with parsers that are not ours:
// @apidevtools/swagger-parser (OpenAPI 3.1: structure against the
// specification's schema, $refs resolved) and @asyncapi/parser (AsyncAPI
// 3.0: the specification's schema and its rules). Errors fail; warnings
// are printed. Run by validate.sh.
//   node validate.js FILE...
"use strict";
const fs = require("fs");
const SwaggerParser = require("@apidevtools/swagger-parser");
const { Parser } = require("@asyncapi/parser");

async function check(file) {
  const text = fs.readFileSync(file, "utf8");
  const doc = JSON.parse(text);
  if (doc.openapi) {
    try {
      await SwaggerParser.validate(JSON.parse(text));
      console.log(`${file}: valid OpenAPI ${doc.openapi} (${Object.keys(doc.paths).length} paths)`);
      return true;
    } catch (e) {
      console.log(`${file}: INVALID OpenAPI: ${e.message}`);
      return false;
    }
  }
  if (doc.asyncapi) {
    const { document, diagnostics } = await new Parser().parse(text);
    const errors = diagnostics.filter((d) => d.severity === 0);
    const warnings = diagnostics.filter((d) => d.severity === 1);
    for (const d of [...errors, ...warnings])
      console.log(`${file}: ${d.severity === 0 ? "error" : "warning"} ${d.code} at ${d.path.join(".")}: ${d.message}`);
    const ok = document !== undefined && errors.length === 0;
    console.log(`${file}: ${ok ? "valid" : "INVALID"} AsyncAPI ${doc.asyncapi} (${Object.keys(doc.channels || {}).length} channels, ${warnings.length} warnings)`);
    return ok;
  }
  console.log(`${file}: neither OpenAPI nor AsyncAPI`);
  return false;
}

(async () => {
  let ok = true;
  for (const file of process.argv.slice(2)) ok = (await check(file)) && ok;
  process.exit(ok ? 0 : 1);
})();
