// Package wxsim is a simulated web-WeChat service on loopback that the real
// openwechat v1.4.10 client (Desktop mode) logs into and chats with. It is
// the fake server behind every bot test and the sandbox UI.
//
// # Injection
//
// Install the simulator's RoundTripper in the client; never rewrite URLs in
// an HttpHook (the cookie jar must keep seeing the real host names):
//
//	sim := wxsim.New(wxsim.Options{AutoConfirm: true, LongPollHold: time.Second})
//	defer sim.Close()
//	bot := openwechat.DefaultBot(openwechat.Desktop)
//	bot.UUIDCallback = func(string) {} // never xdg-open
//	bot.Caller.Client.HTTPClient().Transport = sim.Transport()
//	err := bot.Login()
//
// The transport keeps the original host in req.Host and sends the request to
// 127.0.0.1:PORT; the server routes by Host: login.wx.qq.com (jslogin, login
// poll), wx.qq.com (everything JSON), webpush.wx.qq.com (synccheck) and
// file.wx.qq.com (upload/download). Handler() exposes the same routing for a
// TLS-terminating proxy.
//
// # Fidelity
//
// Everything the openwechat client relies on is implemented: long-polled
// login poll and synccheck (held up to Options.LongPollHold, answered only
// with 408/201/200/400 and retcode 0/1100/1101/1102), exact regex texts,
// SyncKey always present with Count == len(List), string MsgId/FileSize,
// batchgetcontact by position with group MemberList, ClientMsgId dedupe of
// sends, 512 KiB chunked uploads placed by chunk/chunks and streamed to
// disk, checkupload above 25 MiB (uploads above 25 MiB without its Signature
// are refused), Desktop-mode headers required at webwxnewloginpage (Normal
// mode gets ret 1203).
//
// Cookies are set as the real service does: wxuin, wxsid, webwx_auth_ticket
// ... host-only on wx.qq.com, webwx_data_ticket with Domain=.qq.com. The
// simulator requires the wxsid cookie at webwxinit, the wxuin cookie at
// webwxpushloginurl, and a valid webwx_data_ticket for upload and download.
// So openwechat's hot-login defects stay visible: after HotLogin without the
// storage workaround, uploads and downloads fail client-side with
// "webwx_data_ticket not found", and the storage dumped after a hot login has
// "Jar":{}, so the next HotLogin/PushLogin from it is refused.
//
// Sessions: every scan or push login creates a new session with new
// UserNames ("@"+32 hex, groups "@@"+64 hex) and kicks the previous one
// (its synccheck answers 1101). HotLogin re-enters the same session (same
// UserNames) until ForceLogout, client logout or a newer login ends it.
// Remark names belong to the account and survive sessions.
//
// Delivery: inbound messages go to one account-wide log; the client's
// SyncKey (Key 1) is its position. A message is delivered once per synckey
// advance; a client re-sending an old key gets it again, and Replay
// re-delivers a message with the same MsgId/NewMsgId/CreateTime. Messages
// sent while nobody is logged in arrive after the next login. The first
// sync of each new session carries a MsgType 51 status notify (self to
// self) that bots must ignore.
//
// # HTTP control API
//
// On the same listener, on any Host, under /_sim/ (JSON in and out; field
// names are case-insensitive on input):
//
//	GET    /_sim/state                 {loggedIn, logins, pendingUuid, loginUrl, selfNickName, selfUin, sent}
//	GET    /_sim/contacts              [Contact]
//	POST   /_sim/contacts              {nickName, remarkName} -> Contact
//	POST   /_sim/groups                {nickName, members:[id]} -> Contact
//	POST   /_sim/contacts/{id}         {nickName?, remarkName?} -> Contact
//	POST   /_sim/send/text             {from, text} or {group, member, text} -> {msgId}
//	POST   /_sim/send/file             multipart: from, [claimedSize], file -> {msgId}
//	POST   /_sim/send/image            multipart: from, file -> {msgId}
//	POST   /_sim/send/other            {from, msgType} -> {msgId}
//	POST   /_sim/replay                {msgId}
//	GET    /_sim/sent[?to=id]          [Sent]
//	GET    /_sim/sent/{seq}/file       the file/image the bot sent
//	GET    /_sim/events                SSE: "event: sent" with a JSON Sent per bot message
//	POST   /_sim/login/scan            phone scans the pending QR (201)
//	POST   /_sim/login/confirm         phone scans and confirms the pending QR/push login
//	POST   /_sim/logout                {retcode: 1100|1101|1102} (default 1101)
//	GET    /_sim/faults                [{id, fault, fired}]
//	POST   /_sim/faults                Fault -> {id}
//	DELETE /_sim/faults/{id}, DELETE /_sim/faults
//
// Errors are {"error": "..."} with status 400, or 404 for unknown ids and
// when no login is pending.
//
// # Not simulated
//
// Friend requests/verifyuser, group creation and membership changes,
// ModContactList in webwxsync, revocation effects, QR code images, QR
// expiry (400 is only sent for unknown uuids), real risk control.
package wxsim
