package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"

	"dudaobot/app"
	"dudaobot/config"
)

// wxsimFlag declares -wxsim: the URL of a wxsim server to talk to instead
// of WeChat.
func wxsimFlag(fs *flag.FlagSet) *string {
	return fs.String("wxsim", "", "连接模拟微信（开发用），如 http://127.0.0.1:18080 / talk to a wxsim server instead of WeChat (development)")
}

// newApp builds the bot for the commands that log in to WeChat (run,
// contacts) from the config at cfgPath: on the office's account, or on a
// wxsim server at simURL (development). o carries the rest of the options.
func newApp(ctx context.Context, cfgPath, simURL string, o app.Options) (*app.App, error) {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	o.Config = cfg
	if simURL != "" {
		if o.Transport, err = rewriteTransport(simURL); err != nil {
			return nil, err
		}
	}
	return app.New(ctx, o)
}

// rewriteTransport sends every WeChat request to a wxsim server at base,
// keeping the original host in req.Host (the simulator routes by it and
// the cookie jar keeps seeing the real host names).
func rewriteTransport(base string) (http.RoundTripper, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("-wxsim 应为 http://host:port / -wxsim must be http://host:port: %q", base)
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r2 := r.Clone(r.Context())
		r2.Host = r.URL.Host
		r2.URL.Scheme, r2.URL.Host = u.Scheme, u.Host
		return http.DefaultTransport.RoundTrip(r2)
	}), nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
