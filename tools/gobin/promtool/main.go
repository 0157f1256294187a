// Command promql-inspect parses PromQL expressions with the real Prometheus
// parser (the same module version as the promtool built beside it) and
// reports, for each expression, the parse error or the metric names its
// selectors read. Tests use it to prove every dashboard query parses and to
// check every metric name against the catalogue in src/monitoring/.
//
// Input (stdin): a JSON array of expressions. Output (stdout): a JSON array
// of {"expr", "error", "metrics"} in the same order. Exit status 0 even when
// an expression does not parse (the caller decides); 2 on malformed input.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type result struct {
	Expr    string   `json:"expr"`
	Error   string   `json:"error,omitempty"`
	Metrics []string `json:"metrics"`
}

func main() {
	var exprs []string
	if err := json.NewDecoder(os.Stdin).Decode(&exprs); err != nil {
		fmt.Fprintf(os.Stderr, "promql-inspect: stdin must be a JSON array of strings: %v\n", err)
		os.Exit(2)
	}
	// Default options: exactly what a Prometheus server accepts without
	// feature flags (no experimental functions).
	p := parser.NewParser(parser.Options{})
	out := make([]result, 0, len(exprs))
	for _, e := range exprs {
		r := result{Expr: e, Metrics: []string{}}
		ast, err := p.ParseExpr(e)
		if err != nil {
			r.Error = err.Error()
			out = append(out, r)
			continue
		}
		seen := map[string]bool{}
		parser.Inspect(ast, func(node parser.Node, _ []parser.Node) error {
			vs, ok := node.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name != labels.MetricName {
					continue
				}
				if m.Type == labels.MatchEqual {
					name = m.Value
				} else {
					r.Error = fmt.Sprintf("selector %s matches metric names by pattern; name metrics explicitly", vs.String())
				}
			}
			if name != "" {
				seen[name] = true
			}
			return nil
		})
		for n := range seen {
			r.Metrics = append(r.Metrics, n)
		}
		sort.Strings(r.Metrics)
		out = append(out, r)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "promql-inspect: %v\n", err)
		os.Exit(1)
	}
}
