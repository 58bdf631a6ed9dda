// Server under test: Node's tls.  Prints its port, then serves.
//   node node_server.js --cert C --key K --mode echo|sink
'use strict';
const tls = require('tls');
const fs = require('fs');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const ACK = 1 << 20;
const mode = args.mode || 'echo';

const server = tls.createServer({
  key: fs.readFileSync(args.key), cert: fs.readFileSync(args.cert), noDelay: true,
}, (socket) => {
  socket.on('error', () => {});
  if (mode === 'echo') {
    socket.on('data', (data) => socket.write(data));
  } else {
    let count = 0;
    socket.on('data', (data) => {
      count += data.length;
      if (count >= ACK) {
        const k = Math.floor(count / ACK);
        count -= k * ACK;
        socket.write(Buffer.alloc(k, 'k'));
      }
    });
  }
});
server.on('tlsClientError', () => {});
server.listen(0, '127.0.0.1', 4096, () => console.log(String(server.address().port)));
