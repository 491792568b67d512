package handlers

import "dudaobot/rules"

// RouteOf is how the router reads a text: the command word it runs (or
// the unknown event) and the command word it merely starts with (prose).
func RouteOf(d *Intake, text string) (word, prose string) {
	r := &Request{In: rules.Inbound{Kind: rules.MsgText, Text: text}}
	d.mux.parse(r, d.botName())
	return r.Word, r.Prose
}

// IntentOf is what the intent layer reads in a text that is no command.
func IntentOf(text string, role rules.Role) string { return string(intentOf(text, role)) }

// ClosestUnits are the keys of the units closestUnits finds for q.
func ClosestUnits(units []rules.Unit, q string) []string {
	var keys []string
	for _, u := range closestUnits(units, q) {
		keys = append(keys, u.Key)
	}
	return keys
}

// SheetKindOf is the recogniser table's answer for a workbook's heads: the
// template's name and who may send it ("" when no row matches).
func SheetKindOf(c *Conversations, heads []SheetHead) (name string, access Access) {
	k, ok := recognise(c.sheets, heads)
	if !ok {
		return "", 0
	}
	return k.name, k.access
}

// RouteWords are the menu's command words, in registration order (the
// events excluded).
func RouteWords(d *Intake) []string {
	var out []string
	for _, w := range d.mux.order {
		if w[0] != '\a' {
			out = append(out, w)
		}
	}
	return out
}
