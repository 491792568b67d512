package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"dudaobot/rules"
)

// cmdStatus prints the compliance table: one row per unit, one column per
// stage, as the director's 总览 judges it now.
func cmdStatus(fs *flag.FlagSet, cfgPath *string) runner {
	year := fs.Int("year", 0, "年度 / year (default: the configured year)")
	unit := fs.String("unit", "", "单位（代码、全称或简称） / unit key, name or alias")
	return func(ctx context.Context, w, _ io.Writer) error {
		data, err := openData(ctx, *cfgPath)
		if err != nil {
			return err
		}
		defer data.Close()
		if *year == 0 {
			*year = data.Config.Calendar().Year
		}
		units, err := data.Store.Units(ctx)
		if err != nil {
			return err
		}
		picked, err := pickUnits(units, *unit)
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, u := range units {
			names[u.Key] = u.Name
		}
		want := map[string]bool{}
		for _, u := range picked {
			want[u.Key] = true
		}
		cal, err := data.Store.Calendar(ctx, *year, data.Config.Location())
		if err != nil {
			return err
		}
		uys, err := data.Store.UnitYears(ctx, *year)
		if err != nil {
			return err
		}
		header := []string{"单位"}
		for _, s := range rules.AllStages {
			header = append(header, s.Label())
		}
		rows := [][]string{header}
		now := data.Clock.Now()
		for _, uy := range uys {
			if !want[uy.UnitKey] {
				continue
			}
			row := []string{names[uy.UnitKey]}
			for _, st := range rules.UnitStatus(cal, uy, now) {
				cell := st.Text()
				if st.Deadline.Open && !st.Kind.Submitted() {
					cell += " 截止" + fmt.Sprintf("%d/%d", int(st.Deadline.DueDate.Month), st.Deadline.DueDate.Day)
				}
				row = append(row, cell)
			}
			rows = append(rows, row)
		}
		fmt.Fprintf(w, "%d 年度履职进度（%s）\n", *year, now.In(cal.Location).Format("2006-01-02 15:04"))
		writeTable(w, rows)
		return nil
	}
}
