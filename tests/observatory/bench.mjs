// Scans many loopback HTTPS ports with the MDN HTTP Observatory's own retriever and scoring, a
// fixed number at a time, the way its API server runs scans side by side.
// Usage: node bench.mjs <observatory package dir> <hostname> <httpPort> <concurrency> <httpsPort>...
// Prints one line: how many scans finished and how many failed.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pkg, hostname, httpPort, concurrency, ...ports] = process.argv.slice(2);
const load = (rel) => import(pathToFileURL(path.join(pkg, rel)).href);
const { retrieve } = await load("src/retriever/retriever.js");
const { ALL_TESTS } = await load("src/constants.js");
const { getGradeForScore, getScoreModifier } = await load("src/grader/grader.js");

async function scan(httpsPort) {
  const r = await retrieve(hostname, { httpPort, httpsPort });
  if (!r.responses.auto) return false;
  let score = 100;
  for (const test of ALL_TESTS) score += getScoreModifier(test(r).result);
  getGradeForScore(score);
  return true;
}

let next = 0;
let ok = 0;
let failed = 0;
async function worker() {
  while (next < ports.length) {
    const port = ports[next++];
    try {
      (await scan(port)) ? ok++ : failed++;
    } catch {
      failed++;
    }
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
console.log(JSON.stringify({ ok, failed }));
