package httpapi

import (
	"net/http"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

type notificationJSON struct {
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Body      *string           `json:"body"`
	Data      map[string]string `json:"data"`
	Read      bool              `json:"read"`
	ReadAt    *time.Time        `json:"readAt"`
	CreatedAt time.Time         `json:"createdAt"`
}

func toNotificationJSON(n store.Notification) notificationJSON {
	var data map[string]string
	if len(n.Data) > 0 {
		data = n.Data
	}
	return notificationJSON{ID: n.ID, Type: n.Type, Title: n.Title, Body: nullable(n.Body), Data: data,
		Read: n.ReadAt != nil, ReadAt: utcPtr(n.ReadAt), CreatedAt: utcTime(n.CreatedAt)}
}

// notificationListJSON is the list envelope with the unread count.
type notificationListJSON struct {
	listJSON[notificationJSON]
	UnreadCount int `json:"unreadCount"`
}

func (a *api) listNotifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req, err := parseStoreList(q)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	var f store.NotificationFilter
	switch q.Get("unread") {
	case "", "false":
	case "true":
		f.UnreadOnly = true
	default:
		a.problem(w, r, store.Validation(store.FieldError{Field: "unread", Message: "must be true or false"}))
		return
	}
	inbox, err := a.cfg.Notifications.List(r.Context(), f, req)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, notificationListJSON{listJSON: storeListJSON(inbox.Page, toNotificationJSON), UnreadCount: inbox.Unread})
}

func (a *api) markNotificationRead(w http.ResponseWriter, r *http.Request) {
	n, err := a.cfg.Notifications.MarkRead(r.Context(), r.PathValue("id"))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toNotificationJSON(*n))
}

func (a *api) markAllNotificationsRead(w http.ResponseWriter, r *http.Request) {
	n, err := a.cfg.Notifications.MarkAllRead(r.Context())
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"updated": n})
}

func (a *api) deleteNotification(w http.ResponseWriter, r *http.Request) {
	if err := a.cfg.Notifications.Delete(r.Context(), r.PathValue("id")); err != nil {
		a.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) deleteAllNotifications(w http.ResponseWriter, r *http.Request) {
	if _, err := a.cfg.Notifications.DeleteAll(r.Context()); err != nil {
		a.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
