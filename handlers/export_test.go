package handlers

import "dudaobot/rules"

// RouteOf is how the router reads a text: the command word it runs (or
// the unknown event) and the command word it merely starts with (prose).
func RouteOf(d *Intake, text string) (word, prose string) {
	r := &Request{In: rules.Inbound{Kind: rules.MsgText, Text: text}}
	d.mux.parse(r, d.botName())
	return r.Word, r.Prose
}
