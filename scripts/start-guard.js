// Preloaded into the Node-RED that `npm start` runs (node --require scripts/start-guard.js red.js): Node-RED stops
// when start.js goes, however it goes (a signal it could not handle, SIGKILL, a crash). start.js holds the only
// write end of this process's stdin pipe; when start.js is gone the pipe reaches end-of-file. Node-RED then gets
// the SIGINT it stops on by itself, and is killed outright if it has not exited 10 s later.
'use strict';
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  process.kill(process.pid, 'SIGINT');
  setTimeout(() => process.exit(1), 10000).unref();
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
