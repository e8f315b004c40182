-- wrk script: StartSyncExecution of the state machine named by $ASLX_MACHINE (default pass1),
-- input from $ASLX_INPUT (default {}), over keep-alive HTTP/1.1.
-- Usage: wrk -t1 -c32 -d10s -s benches/http/start_sync.lua http://127.0.0.1:8083/
local machine = os.getenv("ASLX_MACHINE") or "pass1"
local input = os.getenv("ASLX_INPUT") or "{}"
local function quote(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\n', '\\n') .. '"'
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartSyncExecution"
wrk.body = '{"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:'
  .. machine .. '","input":' .. quote(input) .. '}'

local errors = 0
function response(status, headers, body)
  if status ~= 200 or not body:find('"status":"SUCCEEDED"', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.0f us, p99 %.0f us, p99.9 %.0f us\n",
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
