// Package rules is the centre of dudaobot: the domain types of the annual
// education-duty supervision cycle (阿政办发〔2021〕11号) and the pure rules that
// decide every deadline and every unit's compliance status.
//
// It performs no I/O and reads no clock: every function that depends on time
// takes `now` as an argument, so the whole year can be replayed in tests. It
// imports no gorm, no openwechat and no cron; the adapter packages (storage,
// bot, scheduler) import it, never the other way round.
package rules
