package config

import (
	"bytes"
	_ "embed"
	"fmt"

	"dudaobot/rules"

	"gopkg.in/yaml.v3"
)

// indicatorsYAML is Annex 2, the evaluation indicator system, shipped inside
// the binary: it is part of the source document, not something the office
// edits.
//
//go:embed indicators.yaml
var indicatorsYAML []byte

type indicatorNode struct {
	Code       string          `yaml:"code"`
	Title      string          `yaml:"title"`
	Text       string          `yaml:"text"`
	Thresholds []string        `yaml:"thresholds"`
	Keywords   []string        `yaml:"keywords"`
	Children   []indicatorNode `yaml:"children"`
}

// Indicators returns the embedded indicator system flattened in document
// order: each first-level indicator, then its second-level ones, each
// followed by its third-level ones. Level is 1, 2 or 3, ParentCode is the
// enclosing indicator's code ("" at level 1), Text is the title (levels 1–2)
// or the full text (level 3), and Order is the position in that flat list,
// from 1. It does not depend on c (a nil *Config works); it is a method so
// callers find it next to Units.
func (c *Config) Indicators() ([]rules.Indicator, error) {
	return parseIndicators(indicatorsYAML)
}

func parseIndicators(data []byte) ([]rules.Indicator, error) {
	var roots []indicatorNode
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&roots); err != nil {
		return nil, fmt.Errorf("config: indicators.yaml: %w", err)
	}
	var out []rules.Indicator
	seen := map[string]bool{}
	var walk func(ns []indicatorNode, level int, parent string) error
	walk = func(ns []indicatorNode, level int, parent string) error {
		for _, n := range ns {
			if n.Code == "" {
				return fmt.Errorf("config: indicators.yaml: level %d indicator under %q has no code", level, parent)
			}
			if seen[n.Code] {
				return fmt.Errorf("config: indicators.yaml: duplicate code %q", n.Code)
			}
			seen[n.Code] = true
			text := n.Title
			if level == 3 {
				text = n.Text
				if len(n.Children) > 0 {
					return fmt.Errorf("config: indicators.yaml: indicator %q: level 3 has children", n.Code)
				}
			} else if len(n.Children) == 0 {
				return fmt.Errorf("config: indicators.yaml: indicator %q: level %d has no children", n.Code, level)
			}
			if level == 3 && len(n.Keywords) < 2 {
				return fmt.Errorf("config: indicators.yaml: indicator %q: needs at least 2 keywords", n.Code)
			}
			if text == "" {
				return fmt.Errorf("config: indicators.yaml: indicator %q has no text", n.Code)
			}
			out = append(out, rules.Indicator{
				Code:       n.Code,
				Level:      level,
				ParentCode: parent,
				Text:       text,
				Thresholds: append([]string{}, n.Thresholds...),
				Keywords:   append([]string{}, n.Keywords...),
				Order:      len(out) + 1,
			})
			if err := walk(n.Children, level+1, n.Code); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(roots, 1, ""); err != nil {
		return nil, err
	}
	return out, nil
}
