package security_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testenv"
)

// Secrets never appear in logs: the Redis password of the `portcullis`
// option is redacted wherever the gateway names its Redis, even when Redis
// refuses it and the limiter falls back.
func TestRedisPasswordNeverLogged(t *testing.T) {
	t.Parallel()
	const password = "s3cret-redis-password"
	port := testenv.FreePort(t)
	redisURL := strings.Replace(testenv.RedisURL(t), "redis://", "redis://:"+password+"@", 1)
	c := testenv.StartCaddy(t, fmt.Sprintf(`{
	portcullis {
		redis %s
	}
}
http://127.0.0.1:%d {
	rate_limit
	respond ok
}
`, redisURL, port))
	for range 3 { // exercise the limiter, whose Redis calls fail on AUTH
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	c.WaitLog("shared state in redis", 10*time.Second)
	if strings.Contains(c.Logs(), password) {
		t.Fatalf("the Redis password appears in the gateway's log:\n%s", c.Logs())
	}
}
