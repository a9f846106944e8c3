package auth

import (
	"strings"

	"github.com/usermgmt/usermgmt/internal/textutil"
)

// deviceName is the name a session shows: the client's own name for it, or
// "Browser on OS" read from the user agent.
func deviceName(given, userAgent string) string {
	if given = strings.TrimSpace(given); given != "" {
		return textutil.Truncate(given, 100)
	}
	if userAgent == "" {
		return "Unknown device"
	}
	browser, os := uaBrowser(userAgent), uaOS(userAgent)
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	case os != "":
		return os
	}
	name, _, _ := strings.Cut(userAgent, " ")
	return textutil.Truncate(name, 60)
}

// Order matters: Edge and Opera say Chrome too, Chrome says Safari.
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
	{"CriOS/", "Chrome"}, {"FxiOS/", "Firefox"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	{"okhttp/", "okhttp"}, {"Go-http-client/", "Go HTTP client"}, {"python-requests/", "Python requests"},
}

func uaBrowser(ua string) string {
	for _, b := range browsers {
		if strings.Contains(ua, b.token) {
			return b.name
		}
	}
	return ""
}

var systems = []struct{ token, name string }{
	{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"},
	{"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
}

func uaOS(ua string) string {
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			return s.name
		}
	}
	return ""
}
