#!/usr/bin/env node
// An aslx `worker:` in Node: answers every call with its input and this process's pid.
//
//   aslx run machine.asl.json --handler 'echo=worker:node examples/workers/echo_worker.js'
//
// Calls arrive as lines {"id": N, "input": ...} on stdin; each answer is one line
// {"id": N, "output": ...} or {"id": N, "error": {"errorType", "errorMessage"}} on stdout.
// Calls are handled concurrently: an input with `delayMs` is answered that much later, so
// answers can come back in any order. The process exits when stdin ends.
const readline = require("node:readline");

async function handle(event) {
  if (event && event.delayMs) {
    await new Promise((resolve) => setTimeout(resolve, event.delayMs));
  }
  if (event && event.fail !== undefined) {
    throw new RangeError(String(event.fail));
  }
  return { input: event, pid: process.pid };
}

readline.createInterface({ input: process.stdin }).on("line", async (line) => {
  const call = JSON.parse(line);
  let answer;
  try {
    answer = { id: call.id, output: await handle(call.input) };
  } catch (e) {
    answer = { id: call.id, error: { errorType: e.name, errorMessage: e.message } };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
