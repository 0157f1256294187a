/**
 * An HTTP response body read into memory, refused as soon as it passes a
 * named limit: a server may state no length, or a wrong one.
 */
export async function readCapped(
  res: Response,
  where: string,
  maxBytes: number,
  maxBytesName: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body === null) return new Uint8Array(0);
  // Typed as any by the DOM stream's iterator; the fetch body yields bytes.
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      await res.body.cancel();
      throw new Error(`${where}: more than ${maxBytesName} (${maxBytes}) bytes: not read`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Refuses a body whose stated length is over the limit, before reading it. */
export async function refuseStatedOver(
  res: Response,
  where: string,
  maxBytes: number,
  maxBytesName: string,
): Promise<void> {
  const stated = Number(res.headers.get("content-length") ?? "NaN");
  if (stated > maxBytes) {
    await res.body?.cancel();
    throw new Error(`${where}: ${stated} bytes, over ${maxBytesName} (${maxBytes}): not read`);
  }
}
