package session_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/session"
)

// A login handler records the user and a value in the session; a later
// request carrying the session's cookie sees both.
func Example() {
	p, err := memory.New(memory.Config{}) // or a valkeystore.Provider, shared by every server process
	if err != nil {
		panic(err)
	}
	defer p.Close()

	sessions, err := session.New(p, session.Config{})
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		if err := s.Login(r.Context(), "ada"); err != nil { // a new session id, against fixation
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := s.SetString(r.Context(), "theme", "dark"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		fmt.Fprintf(w, "user=%s theme=%s", s.User(), s.GetString("theme"))
	})
	app := sessions.Middleware(mux)

	login := httptest.NewRecorder()
	app.ServeHTTP(login, httptest.NewRequest(http.MethodPost, "https://example.com/login", nil))

	me := httptest.NewRequest(http.MethodGet, "https://example.com/me", nil)
	for _, c := range login.Result().Cookies() { // what a browser sends back
		me.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, me)
	body, _ := io.ReadAll(rec.Result().Body)
	fmt.Println(string(body))
	// Output:
	// user=ada theme=dark
}
