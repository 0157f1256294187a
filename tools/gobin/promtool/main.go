// Command promql-inspect parses PromQL expressions with the real Prometheus
// parser (the same module version as the promtool built beside it) and
// reports, for each expression, the parse error or the metric names and
// label matchers of its selectors. Tests use it to prove every dashboard query parses and to
// check every metric name against the catalogue in src/monitoring/.
//
// Input (stdin): a JSON array of expressions. Output (stdout): a JSON array
// of {"expr", "error", "metrics", "selectors": [{"metric", "matchers":
// [{"name", "type", "value"}]}]} in the same order. Exit status 0 even when
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

type matcher struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

type selector struct {
	Metric   string    `json:"metric"`
	Matchers []matcher `json:"matchers"`
}

type result struct {
	Expr      string     `json:"expr"`
	Error     string     `json:"error,omitempty"`
	Metrics   []string   `json:"metrics"`
	Selectors []selector `json:"selectors"`
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
		r := result{Expr: e, Metrics: []string{}, Selectors: []selector{}}
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
			sel := selector{Matchers: []matcher{}}
			for _, m := range vs.LabelMatchers {
				if m.Name != labels.MetricName {
					sel.Matchers = append(sel.Matchers, matcher{Name: m.Name, Type: m.Type.String(), Value: m.Value})
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
			sel.Metric = name
			r.Selectors = append(r.Selectors, sel)
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
