import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  buildFeatureExport,
  featureExportToCsv,
  featureExportToParquet,
  FEATURES_V1,
} from "../../features/index.js";
import { DATA_DIRS } from "../../contract/data-layout.js";
import { FEATURES_ENV } from "../../contract/env.js";
import { loadPrices } from "../../prices/index.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { UsageError, type Command } from "../command.js";

export const featuresCommand: Command = {
  name: "features",
  summary: "Export feature set v1 computed from prices (CSV/Parquet) for training",
  usage: `Usage: maie features [--prices PATH] --out FILE [--format csv|parquet] [--from YYYY-MM-DD] [--target-horizon N]
       maie features --list

Computes feature set v1 (docs/features.md) for every date and ticker of the
price input and writes one row per (date, ticker): date, ticker, features.
  --prices PATH         price file or directory (default: $${FEATURES_ENV.dataDir}/${DATA_DIRS.prices})
  --out FILE            output file ('-' for CSV on stdout)
  --format FMT          csv or parquet (default: from the --out extension)
  --from DATE           first date to export (default: the first date)
  --target-horizon N    add target_fwd_ret_<N>d, the forward N-day return
  --list                print the feature names and definitions, one per line`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        prices: { type: "string" },
        out: { type: "string" },
        format: { type: "string" },
        from: { type: "string" },
        "target-horizon": { type: "string" },
        list: { type: "boolean" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.list === true) {
      for (const f of FEATURES_V1) process.stdout.write(`${f.name}\t${f.description}\n`);
      return 0;
    }
    if (values.out === undefined) throw new UsageError("--out is required");
    const format = values.format ?? (values.out.endsWith(".parquet") ? "parquet" : "csv");
    if (format !== "csv" && format !== "parquet")
      throw new UsageError(`--format must be csv or parquet, not '${format}'`);
    if (format === "parquet" && values.out === "-")
      throw new UsageError("Parquet cannot go to stdout: give --out FILE");
    const horizonText = values["target-horizon"];
    const targetHorizon = horizonText === undefined ? undefined : Number(horizonText);
    if (targetHorizon !== undefined && (!Number.isInteger(targetHorizon) || targetHorizon < 1))
      throw new UsageError(`--target-horizon must be a positive integer, not '${horizonText}'`);
    if (values.from !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.from))
      throw new UsageError(`--from must be YYYY-MM-DD, not '${values.from}'`);
    const pricesPath = values.prices ?? join(process.env[FEATURES_ENV.dataDir] ?? ".", DATA_DIRS.prices);
    const { panel, report } = await loadPrices(pricesPath);
    process.stderr.write(
      `features: ${report.tickers} tickers × ${report.dates} dates from ${report.source} (${report.gaps.length} gaps)\n`,
    );
    const exported = buildFeatureExport(panel, {
      ...(values.from === undefined ? {} : { from: values.from }),
      ...(targetHorizon === undefined ? {} : { targetHorizon }),
    });
    if (format === "csv" && values.out === "-") process.stdout.write(featureExportToCsv(exported));
    else
      await writeFileAtomic(
        values.out,
        format === "csv" ? featureExportToCsv(exported) : featureExportToParquet(exported),
      );
    process.stderr.write(
      `features: wrote ${exported.dates.length} rows × ${exported.columns.length} columns (feature set ${exported.featureSet})${values.out === "-" ? "" : ` to ${values.out}`}\n`,
    );
    return 0;
  },
};
