import type { ModelFetch } from "../model-source/fetch.js";
import { isPinnedRegistryRef, parseRegistryUri } from "../model-source/registry-uri.js";
import type { UriModelSource } from "../model-source/source.js";
import type { ByteSource, SourceBytes } from "./watched.js";

/**
 * A model object behind a URI as a `ByteSource`: each poll is a conditional
 * GET with the ETag held, so an unchanged object costs one small request.
 * A pinned model (`sha256`, or a registry URI naming a version, which never
 * moves) is fetched until it loads once; after that only a new pod (a spec
 * change) fetches again, the GitOps way.
 */
export class UriSource implements ByteSource {
  #etag: string | undefined;
  #pinnedFetched = false;
  readonly #pinned: boolean;

  constructor(
    private readonly source: UriModelSource,
    private readonly fetchModel: ModelFetch,
  ) {
    const ref = parseRegistryUri(source.uri);
    this.#pinned = source.sha256 !== undefined || (ref !== undefined && isPinnedRegistryRef(ref));
  }

  get label(): string {
    return this.source.uri;
  }

  async read(): Promise<SourceBytes | "unchanged"> {
    if (this.#pinnedFetched) return "unchanged";
    const got = await this.fetchModel(this.#etag);
    if (got === "not-modified") return "unchanged";
    this.#etag = got.etag;
    // The fetch verified the pin: these bytes are the only ones this pod will accept.
    if (this.#pinned) this.#pinnedFetched = true;
    return {
      bytes: got.bytes,
      sha256: got.sha256,
      mtimeMs: got.lastModified?.getTime() ?? Date.now(),
      origin: {
        ...(got.etag !== undefined && { etag: got.etag }),
        ...(got.versionId !== undefined && { versionId: got.versionId }),
        ...(got.registry !== undefined && { registry: got.registry }),
      },
    };
  }
}
