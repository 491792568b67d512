// Package handlers is the bot's side of every conversation: it turns each
// inbound chat message (rules.Inbound) into state changes through the small
// store interfaces of stores.go and into outgoing messages written to the
// persistent outbox. It never sends anything itself, never imports the
// WeChat client, gorm, cron or the file store, and reads the time only from
// the injected clock.
//
// New builds two halves: Intake receives, records and queues each message
// and runs the middleware (intake.go, middleware.go, workers.go);
// Conversations are the commands, in small types over a shared read-only env
// (conversations.go).
//
// The menu lives in routes.go. A command word counts only with a boundary
// (router.go: the whole message, or a space, colon or new line before its
// argument, or an argument that parses exactly); prose that merely starts
// with a command word is answered with its usage. A message goes through the
// middleware in a fixed order (recover → log → dedupe → identify → rate
// limit → authorise) and then to the handler of its command word. Wide or
// irreversible actions (下发, 反馈, 督导结束, 整改期限, a text plan) store a
// preview as pending state and run on 确认 (confirm.go). The first three run on the adapter's sync
// goroutine inside Accept, so that a message is durably recorded before the
// adapter moves its sync position; the rest runs on a per-sender worker, in
// arrival order. Handlers return errors; reply.go turns them into polite
// Chinese in one place.
package handlers
