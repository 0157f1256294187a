// Command dockerfile-inspect parses a Dockerfile with the parser `docker
// build` uses (github.com/moby/buildkit/frontend/dockerfile/parser and
// instructions, the same module version BuildKit ships) and prints what it
// found as JSON, so tests can check the image's invariants on the real parse
// instead of on regular expressions over the text.
//
// Usage: dockerfile-inspect <Dockerfile>   ("-" reads stdin)
//
// Output (stdout): {"escapeToken", "parserWarnings": [...], "lint": [...],
// "metaArgs": [...], "stages": [{"index", "name", "baseName", "platform",
// "line", "commands": [{"instruction", "line", "endLine", "original",
// "flags", ...typed fields}]}]}. "lint" holds the warnings of the BuildKit
// lint rules that run while instructions are parsed (stage name casing,
// FROM/AS casing, MAINTAINER, ...). Exit status 1 when the Dockerfile does
// not parse (the message is on stderr), 2 on usage errors.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// keyValue is one ENV, LABEL or ARG entry: raw is the word as written,
// value is the word after BuildKit's shell-word processing (quotes removed,
// $VAR expanded with the ARG defaults and ENV values declared before it in
// the stage, as a build without --build-arg sees them). A bare ARG has
// neither.
type keyValue struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
	Raw   *string `json:"raw"`
}

// env is the variable scope of a stage while it is walked in order.
type env map[string]string

func (e env) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }
func (e env) Keys() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	return keys
}

type command struct {
	Instruction string   `json:"instruction"`
	Line        int      `json:"line"`
	EndLine     int      `json:"endLine"`
	Original    string   `json:"original"`
	Flags       []string `json:"flags"`
	// RUN, CMD, ENTRYPOINT, SHELL: the command line; shellForm is true when
	// the line goes through the shell (not the JSON exec form).
	CmdLine   []string `json:"cmdLine,omitempty"`
	ShellForm *bool    `json:"shellForm,omitempty"`
	// COPY and ADD.
	Sources []string `json:"sources,omitempty"`
	Dest    string   `json:"dest,omitempty"`
	From    string   `json:"from,omitempty"`
	Chown   string   `json:"chown,omitempty"`
	Chmod   string   `json:"chmod,omitempty"`
	// ENV, LABEL, ARG.
	KeyValues []keyValue `json:"keyValues,omitempty"`
	// USER, WORKDIR, STOPSIGNAL.
	User    string   `json:"user,omitempty"`
	Path    string   `json:"path,omitempty"`
	Signal  string   `json:"signal,omitempty"`
	Ports   []string `json:"ports,omitempty"`
	Volumes []string `json:"volumes,omitempty"`
	// HEALTHCHECK test command.
	Healthcheck []string `json:"healthcheck,omitempty"`
}

type stage struct {
	Index    int       `json:"index"`
	Name     string    `json:"name"`
	BaseName string    `json:"baseName"`
	Platform string    `json:"platform"`
	Line     int       `json:"line"`
	Commands []command `json:"commands"`
}

type lintWarning struct {
	Rule        string `json:"rule"`
	Description string `json:"description"`
	Message     string `json:"message"`
	Line        int    `json:"line"`
}

type parserWarning struct {
	Short string `json:"short"`
	Line  int    `json:"line"`
}

type output struct {
	EscapeToken    string          `json:"escapeToken"`
	ParserWarnings []parserWarning `json:"parserWarnings"`
	Lint           []lintWarning   `json:"lint"`
	MetaArgs       []keyValue      `json:"metaArgs"`
	Stages         []stage         `json:"stages"`
}

func firstLine(r []parser.Range) (int, int) {
	if len(r) == 0 {
		return 0, 0
	}
	return r[0].Start.Line, r[len(r)-1].End.Line
}

// expand processes one word as BuildKit does; a word it cannot process is
// reported as an error (the caller exits 1).
func expand(lex *shell.Lex, word string, scope env) string {
	v, _, err := lex.ProcessWord(word, scope)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockerfile-inspect: cannot expand %q: %v\n", word, err)
		os.Exit(1)
	}
	return v
}

// kvs expands ENV/LABEL pairs; setEnv adds them to the scope (ENV does).
func kvs(lex *shell.Lex, pairs instructions.KeyValuePairs, scope env, setEnv bool) []keyValue {
	out := make([]keyValue, 0, len(pairs))
	for _, p := range pairs {
		raw := p.Value
		v := expand(lex, raw, scope)
		out = append(out, keyValue{Key: p.Key, Value: &v, Raw: &raw})
		if setEnv {
			scope[p.Key] = v
		}
	}
	return out
}

func argKvs(lex *shell.Lex, args []instructions.KeyValuePairOptional, scope env) []keyValue {
	out := make([]keyValue, 0, len(args))
	for _, a := range args {
		kv := keyValue{Key: a.Key}
		if a.Value != nil {
			raw := *a.Value
			v := expand(lex, raw, scope)
			kv.Value, kv.Raw = &v, &raw
			if _, set := scope[a.Key]; !set {
				scope[a.Key] = v
			}
		}
		out = append(out, kv)
	}
	return out
}

func shellForm(c instructions.ShellDependantCmdLine) *bool {
	b := c.PrependShell
	return &b
}

// describe turns one typed instruction into its JSON form; flags holds the
// raw "--flag=value" words of the instruction's AST node.
func describe(lex *shell.Lex, scope env, c instructions.Command, flags []string) command {
	start, end := firstLine(c.Location())
	out := command{
		Instruction: strings.ToUpper(c.Name()),
		Line:        start,
		EndLine:     end,
		Flags:       flags,
	}
	if s, ok := c.(fmt.Stringer); ok {
		out.Original = s.String()
	}
	if out.Flags == nil {
		out.Flags = []string{}
	}
	switch v := c.(type) {
	case *instructions.RunCommand:
		out.CmdLine, out.ShellForm = v.CmdLine, shellForm(v.ShellDependantCmdLine)
	case *instructions.CmdCommand:
		out.CmdLine, out.ShellForm = v.CmdLine, shellForm(v.ShellDependantCmdLine)
	case *instructions.EntrypointCommand:
		out.CmdLine, out.ShellForm = v.CmdLine, shellForm(v.ShellDependantCmdLine)
	case *instructions.ShellCommand:
		out.CmdLine = v.Shell
	case *instructions.CopyCommand:
		out.Sources, out.Dest = v.SourcePaths, v.DestPath
		out.From, out.Chown, out.Chmod = v.From, v.Chown, v.Chmod
	case *instructions.AddCommand:
		out.Sources, out.Dest = v.SourcePaths, v.DestPath
		out.Chown, out.Chmod = v.Chown, v.Chmod
	case *instructions.EnvCommand:
		out.KeyValues = kvs(lex, v.Env, scope, true)
	case *instructions.LabelCommand:
		out.KeyValues = kvs(lex, v.Labels, scope, false)
	case *instructions.ArgCommand:
		out.KeyValues = argKvs(lex, v.Args, scope)
	case *instructions.UserCommand:
		out.User = v.User
	case *instructions.WorkdirCommand:
		out.Path = v.Path
	case *instructions.StopSignalCommand:
		out.Signal = v.Signal
	case *instructions.ExposeCommand:
		out.Ports = v.Ports
	case *instructions.VolumeCommand:
		out.Volumes = v.Volumes
	case *instructions.HealthCheckCommand:
		if v.Health != nil {
			out.Healthcheck = v.Health.Test
		}
	}
	return out
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dockerfile-inspect <Dockerfile|->")
		os.Exit(2)
	}
	var src []byte
	var err error
	if os.Args[1] == "-" {
		src, err = io.ReadAll(os.Stdin)
	} else {
		src, err = os.ReadFile(os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockerfile-inspect: %v\n", err)
		os.Exit(2)
	}

	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockerfile-inspect: parse: %v\n", err)
		os.Exit(1)
	}
	out := output{
		EscapeToken:    string(res.EscapeToken),
		ParserWarnings: []parserWarning{},
		Lint:           []lintWarning{},
		MetaArgs:       []keyValue{},
		Stages:         []stage{},
	}
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		out.ParserWarnings = append(out.ParserWarnings, parserWarning{Short: w.Short, Line: line})
	}
	// The flags of each instruction, by its first line: the typed commands
	// keep only some of them (COPY --from), the AST node keeps them all.
	flagsAt := map[int][]string{}
	for _, n := range res.AST.Children {
		flagsAt[n.StartLine] = n.Flags
	}

	lint := linter.New(&linter.Config{
		Warn: func(rule, description, _ string, msg string, loc []parser.Range) {
			line, _ := firstLine(loc)
			out.Lint = append(out.Lint, lintWarning{Rule: rule, Description: description, Message: msg, Line: line})
		},
	})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockerfile-inspect: instructions: %v\n", err)
		os.Exit(1)
	}
	lex := shell.NewLex(res.EscapeToken)
	for _, a := range metaArgs {
		out.MetaArgs = append(out.MetaArgs, argKvs(lex, a.Args, env{})...)
	}
	for i, s := range stages {
		line, _ := firstLine(s.Location)
		scope := env{}
		st := stage{Index: i, Name: s.Name, BaseName: s.BaseName, Platform: s.Platform, Line: line, Commands: []command{}}
		for _, c := range s.Commands {
			l, _ := firstLine(c.Location())
			st.Commands = append(st.Commands, describe(lex, scope, c, flagsAt[l]))
		}
		out.Stages = append(out.Stages, st)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "dockerfile-inspect: %v\n", err)
		os.Exit(2)
	}
}
