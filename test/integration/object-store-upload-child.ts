/**
 * Run as a separate process by object-store-faults.test.ts: uploads a
 * stream that delivers `fullParts` parts' bytes quickly and then never ends
 * (lib-storage sends all but the last of them: it waits to learn whether
 * that one is the final part), to the
 * store named by the environment (OBJECT_STORE_ENV, as a pod gets it), so
 * the test can SIGKILL it in the middle of a multipart upload.
 *
 *   node object-store-upload-child.js <key> <partSizeBytes> <fullParts>
 */
import { Readable } from "node:stream";
import { ObjectStore, requireObjectStoreEnv } from "../../src/objectstore/index.js";

const [key = "", partSize = "0", fullParts = "0"] = process.argv.slice(2);
const store = new ObjectStore(requireObjectStoreEnv(process.env, "the upload child"));
let sent = 0;
const body = new Readable({
  read() {
    if (sent < Number(fullParts)) {
      sent += 1;
      this.push(Buffer.alloc(Number(partSize), sent));
    }
    // Then nothing more, and no end: the upload waits for bytes until it is killed.
  },
});
// A stream waiting for bytes holds no handle: without this timer Node would
// exit on the unsettled await instead of waiting to be killed.
setInterval(() => undefined, 1_000);
await store.upload(key, body, { partSizeBytes: Number(partSize) });
process.stderr.write("the upload finished, which it must not: it was meant to be killed\n");
process.exit(3);
