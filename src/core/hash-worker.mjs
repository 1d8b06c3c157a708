// Worker thread of core/hasher.ts: keeps running hashes by key, so that
// hashing uploads uses a second core while the main thread moves bytes.
// Plain JavaScript so it loads without the TypeScript loader.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

const states = new Map();

parentPort.on('message', (m) => {
  switch (m.op) {
    case 'update': {
      let h = states.get(m.key);
      if (!h) states.set(m.key, (h = createHash('sha256')));
      h.update(new Uint8Array(m.buf, 0, m.len));
      // Hand the memory back for reuse: left here, it would pile up until this thread's next GC.
      parentPort.postMessage({ op: 'ack', buf: m.buf }, [m.buf]);
      break;
    }
    case 'digest': {
      const h = states.get(m.key) ?? createHash('sha256');
      parentPort.postMessage({ op: 'digest', id: m.id, hex: h.copy().digest('hex') });
      break;
    }
    case 'drop':
      states.delete(m.key);
      break;
  }
});
