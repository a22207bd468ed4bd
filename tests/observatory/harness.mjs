// Scores one loopback host with the MDN HTTP Observatory's own code, on any ports.
//
// The Observatory's CLI only scans ports 80 and 443; its retriever takes ports, so this harness
// calls it directly and scores the result exactly as its scanner does (scanner/index.js).
// Usage: node harness.mjs <observatory package dir> <hostname> <httpPort> <httpsPort>
// Prints {"score", "grade", "tests": {name: {"result", "modifier", "pass"}}} as JSON.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pkg, hostname, httpPort, httpsPort] = process.argv.slice(2);
const load = (rel) => import(pathToFileURL(path.join(pkg, rel)).href);

const { retrieve } = await load("src/retriever/retriever.js");
const { ALL_TESTS } = await load("src/constants.js");
const { getGradeForScore, getScoreModifier } = await load("src/grader/grader.js");
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await load("src/grader/charts.js");

const r = await retrieve(hostname, { httpPort, httpsPort });
if (!r.responses.auto) {
  console.log(JSON.stringify({ error: "down" }));
  process.exit(0);
}
let withBonus = 100;
let uncurved = 100;
const tests = {};
for (const test of ALL_TESTS) {
  const out = test(r);
  const modifier = getScoreModifier(out.result);
  withBonus += modifier;
  if (modifier < 0) uncurved += modifier;
  tests[out.constructor.name] = { result: out.result, modifier, pass: out.pass };
}
const final = getGradeForScore(uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withBonus : uncurved);
console.log(JSON.stringify({ score: final.score, grade: final.grade, tests }));
