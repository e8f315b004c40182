// A loopback HTTP/1.1 keep-alive server for the `http:` handler and HTTP Task benchmarks
// (http_bench.sh): every request is answered 200 with its own body, or `{}` when it has
// none, as application/json. Node's http module only: no packages to install.
//
//   node load/http_bench/echo_server.js [PORT]     (default 9000)
const http = require('http');
const port = Number(process.argv[2] || 9000);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length ? Buffer.concat(chunks) : Buffer.from('{}');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
