// Package archtest checks the module's import graph against the forbidden
// arrows of DESIGN.md ("Forbidden imports"). Its test reads the real graph
// with `go list -deps -json ./...`; the checker itself is a pure function
// over a package list, so its own test can feed it a graph that breaks a
// rule.
package archtest

import (
	"fmt"
	"slices"
	"strings"
)

// Module is this module's path.
const Module = "dudaobot"

// Package is the part of `go list -json` the checker reads.
type Package struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

// Rule is one forbidden arrow.
type Rule struct {
	// Text is the rule as DESIGN.md's table states it (its first column).
	Text string
	// From selects the packages the rule is about; To the packages they
	// must not import.
	From, To Matcher
	// Direct rules look at import lines only ("only storage imports gorm":
	// every importer of storage reaches gorm through it). The others also
	// forbid reaching To through any chain of imports.
	Direct bool
}

// Matcher selects packages by import path.
type Matcher struct {
	Desc  string
	Match func(path string) bool
}

// Exactly is the one package path (not its subpackages).
func Exactly(path string) Matcher {
	return Matcher{Desc: path, Match: func(p string) bool { return p == path }}
}

// Under is the package path and every package below it.
func Under(path string) Matcher {
	return Matcher{Desc: path + "/...", Match: func(p string) bool { return p == path || strings.HasPrefix(p, path+"/") }}
}

// Ours is every package of this module except those under the paths in
// except.
func Ours(except ...string) Matcher {
	desc := Module + "/..."
	if len(except) > 0 {
		desc += " except " + strings.Join(except, ", ")
	}
	return Matcher{Desc: desc, Match: func(p string) bool {
		if !Under(Module).Match(p) {
			return false
		}
		for _, e := range except {
			if Under(e).Match(p) {
				return false
			}
		}
		return true
	}}
}

func ours(name string) string { return Module + "/" + name }

// Rules mirror the table "Forbidden imports" of DESIGN.md, row by row.
var Rules = []Rule{
	{Text: "`rules` imports nothing of ours", From: Exactly(ours("rules")), To: Ours()},
	{Text: "only `storage` imports gorm", From: Ours(ours("storage")), To: Under("gorm.io"), Direct: true},
	{Text: "only `bot` imports openwechat", From: Ours(ours("bot")), To: Under("github.com/eatmoreapple/openwechat"), Direct: true},
	{Text: "only `export` imports excelize", From: Ours(ours("export")), To: Under("github.com/xuri/excelize"), Direct: true},
	{Text: "`handlers` never imports `bot`", From: Exactly(ours("handlers")), To: Under(ours("bot"))},
	{Text: "`handlers` never imports `storage`", From: Exactly(ours("handlers")), To: Under(ours("storage"))},
	{Text: "`handlers` never imports `docstore`", From: Exactly(ours("handlers")), To: Under(ours("docstore"))},
	{Text: "`scheduler` never imports `handlers`", From: Exactly(ours("scheduler")), To: Under(ours("handlers"))},
	{Text: "`wxsim` imports nothing of ours", From: Exactly(ours("wxsim")), To: Ours()},
	{Text: "`bot` does not import `clock`", From: Exactly(ours("bot")), To: Under(ours("clock"))},
}

// Violation is one forbidden arrow found in the graph.
type Violation struct {
	Rule Rule
	// Chain is the import chain from the offending package to the
	// forbidden one: [from, to] for a direct import, longer when reached
	// through other packages.
	Chain []string
}

func (v Violation) String() string {
	arrow := v.Chain[0] + " → " + v.Chain[len(v.Chain)-1]
	if len(v.Chain) > 2 {
		arrow += " (via " + strings.Join(v.Chain, " → ") + ")"
	}
	return fmt.Sprintf("forbidden import %s: DESIGN.md says %s", arrow, v.Rule.Text)
}

// Check returns every violation of rules in the graph pkgs (packages of
// the module and their dependencies, as `go list -deps` lists them), in
// rule order, then by package path. Test-only imports are not in the graph.
func Check(pkgs []Package, rules []Rule) []Violation {
	byPath := make(map[string]Package, len(pkgs))
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	var out []Violation
	for _, r := range rules {
		for _, p := range pkgs {
			if p.Standard || !r.From.Match(p.ImportPath) {
				continue
			}
			if r.Direct {
				for _, imp := range p.Imports {
					if r.To.Match(imp) {
						out = append(out, Violation{Rule: r, Chain: []string{p.ImportPath, imp}})
					}
				}
				continue
			}
			out = append(out, reach(byPath, p.ImportPath, r)...)
		}
	}
	return out
}

// reach walks the imports of from breadth first and returns one violation
// (with the shortest chain) per forbidden package it reaches.
func reach(byPath map[string]Package, from string, r Rule) []Violation {
	parent := map[string]string{from: ""}
	queue := []string{from}
	var found []string
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, imp := range byPath[cur].Imports {
			if _, seen := parent[imp]; seen {
				continue
			}
			parent[imp] = cur
			if r.To.Match(imp) {
				found = append(found, imp)
				continue // the arrow into the forbidden package is the finding
			}
			queue = append(queue, imp)
		}
	}
	slices.Sort(found)
	var out []Violation
	for _, f := range found {
		var chain []string
		for p := f; p != ""; p = parent[p] {
			chain = append(chain, p)
		}
		slices.Reverse(chain)
		out = append(out, Violation{Rule: r, Chain: chain})
	}
	return out
}
