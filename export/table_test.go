package export_test

import (
	"bytes"
	"reflect"
	"testing"

	"dudaobot/export"
)

// A list written by WriteTable reads back cell by cell, header first.
func TestWriteTable(t *testing.T) {
	header := []string{"单位", "未回复的通知"}
	rows := [][]string{{"县财政局", "请报送整改进展"}, {"县公安局", "请报送整改进展"}}
	var buf bytes.Buffer
	if err := export.WriteTable(&buf, "未回复名单", header, rows); err != nil {
		t.Fatal(err)
	}
	got := cellsOf(t, buf.Bytes(), "未回复名单")
	if want := append([][]string{header}, rows...); !reflect.DeepEqual(got, want) {
		t.Errorf("read back %v, want %v", got, want)
	}
}
