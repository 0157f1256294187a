import { existsSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, MissingBinaryError } from "./paths.js";

/** This repository's image as the test nodes know it (imported, never pulled). */
export const DEV_IMAGE = { repository: "localhost/maie", tag: "dev" } as const;

/**
 * The image archives tools/image/node-images.sh leaves in the cache, pause
 * first (containerd needs the sandbox image before any pod), or an error
 * saying how to build them.
 */
export function nodeImageArchives(): string[] {
  const dir = join(cacheDir(), "images");
  const archives = [join(dir, "pause.tar"), join(dir, "maie.tar")];
  for (const a of archives)
    if (!existsSync(a))
      throw new MissingBinaryError(
        `${a} not found. Build the node images with: tools/image/node-images.sh (needs root, buildah and debootstrap; the first build takes several minutes)`,
      );
  return archives;
}
