// A `command:` program in Node for tests/handlers_command.rs.
let text = "";
process.stdin.on("data", (d) => (text += d));
process.stdin.on("end", () => {
  const event = JSON.parse(text);
  if (event.mode === "lambda_error") {
    process.stdout.write(JSON.stringify({ errorType: "RangeError", errorMessage: "too big: " + event.n }));
    process.exit(2);
  }
  process.stdout.write(JSON.stringify({ tripled: event.n * 3 }));
});
