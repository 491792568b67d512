package rules_test

import (
	"strings"
	"testing"

	"dudaobot/rules"
)

func TestScrubSecrets(t *testing.T) {
	for _, c := range []struct {
		name, in string
		gone     []string
		kept     []string
	}{
		{"download URL", `Get "https://file.wx.qq.com/cgi-bin/mmwebwx-bin/webwxgetmedia?sender=@abc&mediaid=X&filename=a.docx&fromuser=2100000001&pass_ticket=PT123&webwx_data_ticket=DT456": EOF`,
			[]string{"PT123", "DT456", "2100000001", "mediaid=X"}, []string{"https://file.wx.qq.com/cgi-bin/mmwebwx-bin/webwxgetmedia", "EOF"}},
		{"sync URL", `sync check failed: Get "https://webpush.wx.qq.com/cgi-bin/mmwebwx-bin/synccheck?_=1&deviceid=e95&r=1&sid=9oA9z&skey=%40crypt_c2a3_68f9&synckey=1_4&uin=2100000001": context canceled`,
			[]string{"9oA9z", "c2a3_68f9", "2100000001", "e95"}, []string{"synccheck", "context canceled"}},
		{"key=value outside a URL", "cookie webwx_data_ticket=DT456; webwx_auth_ticket=AT789; pass_ticket=PT123 sid=S1 Uin=42",
			[]string{"DT456", "AT789", "PT123", "S1", "=42"}, []string{"cookie"}},
		{"BaseRequest JSON", `{"BaseRequest":{"Uin":2100000001,"Sid":"9oA9z","Skey":"@crypt_aa_bb","DeviceID":"e123"}}`,
			[]string{"2100000001", "9oA9z", "crypt_aa_bb", "e123"}, []string{"BaseRequest"}},
		{"login XML", "<error><ret>0</ret><skey>@crypt_1_2</skey><wxsid>WS</wxsid><wxuin>77</wxuin><pass_ticket>PT</pass_ticket></error>",
			[]string{"crypt_1_2", ">WS<", ">77<", ">PT<"}, []string{"<ret>0</ret>"}},
		{"bare skey", "skey is @crypt_deadbeef_0011 now", []string{"deadbeef"}, []string{"now"}},
		{"plain error", "storage: mark sent id=3: database is locked", nil, []string{"storage: mark sent id=3: database is locked"}},
		{"Chinese text", "发送失败：对方不是好友", nil, []string{"发送失败：对方不是好友"}},
	} {
		got := rules.ScrubSecrets(c.in)
		for _, g := range c.gone {
			if strings.Contains(got, g) {
				t.Errorf("%s: %q still in %q", c.name, g, got)
			}
		}
		for _, k := range c.kept {
			if !strings.Contains(got, k) {
				t.Errorf("%s: lost %q: %q", c.name, k, got)
			}
		}
		if again := rules.ScrubSecrets(got); again != got {
			t.Errorf("%s: not idempotent: %q → %q", c.name, got, again)
		}
	}
}
