package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// testSSHD is a throwaway OpenSSH server on 127.0.0.1 started by the test.
type testSSHD struct {
	port int
	user string
	key  string // OpenSSH private key (PEM) of the login user
	dir  string // scratch dir, writable by the login user
}

func loudSkip(t *testing.T, why string) {
	t.Helper()
	msg := "\n" + strings.Repeat("!", 78) + "\n!!! SKIPPING the real-SSH tests: " + why +
		"\n!!! Run tools/pulumi-resource-command/test.sh: it fetches a user-level sshd (Debian openssh-server, extracted)." +
		"\n" + strings.Repeat("!", 78)
	fmt.Fprintln(os.Stderr, msg)
	t.Skip(msg)
}

func startSSHD(t *testing.T) *testSSHD {
	t.Helper()
	bin := os.Getenv("DOCKFLEET_TEST_SSHD")
	if bin == "" {
		if p, err := exec.LookPath("sshd"); err == nil {
			bin = p
		} else if _, err := os.Stat("/usr/sbin/sshd"); err == nil {
			bin = "/usr/sbin/sshd"
		}
	}
	if bin == "" {
		loudSkip(t, "no sshd binary (set DOCKFLEET_TEST_SSHD or install openssh-server)")
	}
	bin, _ = filepath.Abs(bin) // sshd insists on an absolute path

	// Which user sshd runs as and we log in as: sshd running as root needs the
	// privsep user "sshd" and /run/sshd; otherwise it can only log in the user
	// it runs as.
	var cred *syscall.Credential
	login, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if name := os.Getenv("DOCKFLEET_TEST_SSHD_USER"); name != "" && name != "root" {
			u, err := user.Lookup(name)
			if err != nil {
				t.Fatalf("DOCKFLEET_TEST_SSHD_USER: %v", err)
			}
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
			login = u
		} else {
			_, errUser := user.Lookup("sshd")
			_, errDir := os.Stat("/run/sshd")
			if errUser != nil || errDir != nil {
				loudSkip(t, "running as root, but sshd's privsep user/dir (sshd, /run/sshd) is missing; set DOCKFLEET_TEST_SSHD_USER to a non-root user with a login shell")
			}
		}
	}

	dir, err := os.MkdirTemp("", "prc-sshd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })

	hostKey := writeKey(t, filepath.Join(dir, "host_key"))
	_ = hostKey
	clientKeyPEM, clientPub := newKey(t)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(clientPub), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cfg := fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s/host_key
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AcceptEnv PULUMI_COMMAND_* PRC_*
`, port, dir, dir, dir)
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		_ = filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
			return os.Chown(p, int(cred.Uid), int(cred.Gid))
		})
	}
	cmd := exec.Command(bin, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	var logBuf lockedBuffer
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", logBuf.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen on %d: %s", port, logBuf.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("sshd %s on 127.0.0.1:%d, login user %s", bin, port, login.Username)
	return &testSSHD{port: port, user: login.Username, key: clientKeyPEM, dir: dir}
}

func newKey(t *testing.T) (string, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block)), sshPub
}

func writeKey(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	pemText, pub := newKey(t)
	if err := os.WriteFile(path, []byte(pemText), 0o600); err != nil {
		t.Fatal(err)
	}
	return pub
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *testSSHD) conn() *connSpec {
	return &connSpec{Host: "127.0.0.1", Port: s.port, User: s.user, PrivateKey: s.key,
		DialErrorLimit: 3, PerDialTimeout: 10 * time.Second}
}

func (s *testSSHD) connProp() resource.PropertyValue {
	return secret(obj("host", str("127.0.0.1"), "port", resource.NewNumberProperty(float64(s.port)),
		"user", str(s.user), "privateKey", secret(str(s.key))))
}

func runOn(t *testing.T, ctx context.Context, c *connSpec, spec runSpec) (runResult, error) {
	t.Helper()
	client, closeAll, err := c.connect(ctx)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer closeAll()
	return runRemote(ctx, client, spec)
}

func TestSSH(t *testing.T) {
	s := startSSHD(t)
	ctx := context.Background()

	t.Run("stdout, stderr, stdin, env", func(t *testing.T) {
		stdin := "line1\nSECRET-STDIN\n"
		res, err := runOn(t, ctx, s.conn(), runSpec{
			Command: fmt.Sprintf("cat > %s/stdin.txt; echo out1; echo out2; echo err1 >&2; echo env=$PRC_A", s.dir),
			Stdin:   &stdin,
			Env:     []string{"PRC_A=hello", "NOT_ACCEPTED=x"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stdout != "out1\nout2\nenv=hello" || res.Stderr != "err1" {
			t.Errorf("got stdout=%q stderr=%q", res.Stdout, res.Stderr)
		}
		b, _ := os.ReadFile(filepath.Join(s.dir, "stdin.txt"))
		if string(b) != stdin {
			t.Errorf("remote stdin file = %q, want %q", b, stdin)
		}
	})

	t.Run("no stdin reads EOF", func(t *testing.T) {
		res, err := runOn(t, ctx, s.conn(), runSpec{Command: "wc -c"})
		if err != nil || strings.TrimSpace(res.Stdout) != "0" {
			t.Errorf("res=%+v err=%v", res, err)
		}
	})

	t.Run("exit 3 error has status, stdout, stderr, never stdin", func(t *testing.T) {
		stdin := "NEVER-IN-ERRORS"
		_, err := runOn(t, ctx, s.conn(), runSpec{Command: "cat >/dev/null; echo partial; echo boom >&2; exit 3", Stdin: &stdin})
		if err == nil {
			t.Fatal("want error")
		}
		msg := err.Error()
		for _, want := range []string{"Process exited with status 3", `running "cat >/dev/null; echo partial; echo boom >&2; exit 3"`, "partial", "boom"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
		if strings.Contains(msg, stdin) {
			t.Errorf("error leaks stdin: %q", msg)
		}
	})

	t.Run("timeout aborts the command", func(t *testing.T) {
		tctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := runOn(t, tctx, s.conn(), runSpec{Command: "sleep 30"})
		if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
			t.Errorf("err = %v", err)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("took %s", el)
		}
	})

	t.Run("wrong key fails after dialErrorLimit attempts", func(t *testing.T) {
		otherKey, _ := newKey(t)
		c := s.conn()
		c.PrivateKey = otherKey
		c.DialErrorLimit = 2
		old := dialRetryDelay
		dialRetryDelay = 100 * time.Millisecond
		defer func() { dialRetryDelay = old }()
		_, err := c.dial(ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "failed after 2 attempt(s)") || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("host key pinning", func(t *testing.T) {
		c := s.conn()
		_, wrong := newKey(t)
		c.HostKey = string(ssh.MarshalAuthorizedKey(wrong))
		c.DialErrorLimit = 1
		if _, err := c.dial(ctx, nil); err == nil || !strings.Contains(err.Error(), "host key mismatch") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("proxy (jump host)", func(t *testing.T) {
		c := s.conn()
		c.Proxy = s.conn()
		res, err := runOn(t, ctx, c, runSpec{Command: "echo via-proxy"})
		if err != nil || res.Stdout != "via-proxy" {
			t.Errorf("res=%+v err=%v", res, err)
		}
	})

	t.Run("provider lifecycle", func(t *testing.T) { testProviderLifecycle(t, s) })
}

// testProviderLifecycle drives the gRPC methods the engine calls.
func testProviderLifecycle(t *testing.T, s *testSSHD) {
	ctx := context.Background()
	p := &commandProvider{}
	counter := filepath.Join(s.dir, "counter")
	logf := filepath.Join(s.dir, "log")
	bump := fmt.Sprintf("echo $(( $(cat %s 2>/dev/null || echo 0) + 1 )) > %s", counter, counter)
	ins := resource.PropertyMap{
		"connection": s.connProp(),
		"create":     str(fmt.Sprintf("%s; echo create >> %s; cat; echo created-err >&2", bump, logf)),
		"update":     str(fmt.Sprintf("%s; echo update prev=$PULUMI_COMMAND_STDOUT >> %s; echo updated", bump, logf)),
		"delete":     str(fmt.Sprintf("echo delete prev=$PULUMI_COMMAND_STDOUT >> %s", logf)),
		"stdin":      secret(str("from-stdin")),
	}
	m := func(pm resource.PropertyMap) *structpb.Struct {
		st, err := marshal("test", pm)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	read := func(path string) string { b, _ := os.ReadFile(path); return strings.TrimSpace(string(b)) }

	// preview create: unknown outputs, nothing runs
	pr, err := p.Create(ctx, &pulumirpc.CreateRequest{Type: remoteCommand, Properties: m(ins), Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := unmarshal("t", pr.Properties)
	if !ps["stdout"].IsComputed() || read(counter) != "" {
		t.Fatalf("preview: stdout=%v counter=%q", ps["stdout"], read(counter))
	}

	cr, err := p.Create(ctx, &pulumirpc.CreateRequest{Type: remoteCommand, Properties: m(ins), Timeout: 60})
	if err != nil {
		t.Fatal(err)
	}
	state, _ := unmarshal("t", cr.Properties)
	if cr.Id == "" || unwrap(state["stdout"]).StringValue() != "from-stdin" || unwrap(state["stderr"]).StringValue() != "created-err" {
		t.Fatalf("create: id=%q state=%v", cr.Id, state)
	}
	if !state["stdin"].IsSecret() || !state["connection"].IsSecret() {
		t.Errorf("secret-ness lost: stdin=%v", state["stdin"].IsSecret())
	}

	// only `delete` changes: in-place update, nothing runs, outputs kept
	news := with(ins, "delete", str(fmt.Sprintf("echo delete2 prev=$PULUMI_COMMAND_STDOUT >> %s", logf)))
	dr, err := p.Diff(ctx, &pulumirpc.DiffRequest{Type: remoteCommand, Olds: cr.Properties, OldInputs: m(ins), News: m(news)})
	if err != nil || dr.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(dr.Replaces) != 0 || len(dr.DetailedDiff) != 1 {
		t.Fatalf("diff: %v %v", dr, err)
	}
	ur, err := p.Update(ctx, &pulumirpc.UpdateRequest{Type: remoteCommand, Olds: cr.Properties, OldInputs: m(ins), News: m(news)})
	if err != nil {
		t.Fatal(err)
	}
	state2, _ := unmarshal("t", ur.Properties)
	if read(counter) != "1" || unwrap(state2["stdout"]).StringValue() != "from-stdin" {
		t.Fatalf("delete-only update ran something: counter=%q state=%v", read(counter), state2)
	}

	// stdin changes: runs `update` with the previous stdout in the env
	news2 := with(news, "stdin", secret(str("new-stdin")))
	ur2, err := p.Update(ctx, &pulumirpc.UpdateRequest{Type: remoteCommand, Olds: ur.Properties, OldInputs: m(news), News: m(news2), Timeout: 60})
	if err != nil {
		t.Fatal(err)
	}
	state3, _ := unmarshal("t", ur2.Properties)
	if read(counter) != "2" || unwrap(state3["stdout"]).StringValue() != "updated" {
		t.Fatalf("update: counter=%q state=%v", read(counter), state3)
	}

	// delete runs the (new) delete command with the previous stdout
	if _, err := p.Delete(ctx, &pulumirpc.DeleteRequest{Type: remoteCommand, Id: cr.Id, Properties: ur2.Properties, Timeout: 60}); err != nil {
		t.Fatal(err)
	}
	if got, want := read(logf), "create\nupdate prev=from-stdin\ndelete2 prev=updated"; got != want {
		t.Errorf("remote log = %q, want %q", got, want)
	}

	// a failing create returns an error and no resource
	bad := with(ins, "create", str("echo nope >&2; exit 3"))
	if _, err := p.Create(ctx, &pulumirpc.CreateRequest{Type: remoteCommand, Properties: m(bad)}); err == nil ||
		!strings.Contains(err.Error(), "Process exited with status 3") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("failing create: %v", err)
	}
}
