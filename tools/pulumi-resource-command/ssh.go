package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// connSpec is remote.Connection (and remote.ProxyConnection) with the SDK's
// defaults applied (the TypeScript SDK applies them too, see
// connectionArgsProvideDefaults; we re-apply them for other callers).
type connSpec struct {
	Host               string
	Port               int
	User               string
	Password           string
	PrivateKey         string
	PrivateKeyPassword string
	AgentSocketPath    string
	HostKey            string
	DialErrorLimit     int
	PerDialTimeout     time.Duration
	Proxy              *connSpec
}

// dialRetryDelay is the pause between two dial attempts.
var dialRetryDelay = time.Second

func parseConn(pm resource.PropertyMap) (*connSpec, error) {
	c := &connSpec{Port: 22, User: "root", DialErrorLimit: 10, PerDialTimeout: 15 * time.Second}
	var ok bool
	if c.Host, ok = getString(pm, "host"); !ok || c.Host == "" {
		return nil, errors.New("connection.host is required")
	}
	if v, ok := getNumber(pm, "port"); ok && v > 0 {
		c.Port = int(v)
	}
	if v, ok := getString(pm, "user"); ok && v != "" {
		c.User = v
	}
	c.Password, _ = getString(pm, "password")
	c.PrivateKey, _ = getString(pm, "privateKey")
	c.PrivateKeyPassword, _ = getString(pm, "privateKeyPassword")
	c.AgentSocketPath, _ = getString(pm, "agentSocketPath")
	c.HostKey, _ = getString(pm, "hostKey")
	if v, ok := getNumber(pm, "dialErrorLimit"); ok {
		c.DialErrorLimit = int(v)
	}
	if v, ok := getNumber(pm, "perDialTimeout"); ok && v > 0 {
		c.PerDialTimeout = time.Duration(v * float64(time.Second))
	}
	if p, ok := getObject(pm, "proxy"); ok {
		pc, err := parseConn(p)
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		c.Proxy = pc
	}
	return c, nil
}

func (c *connSpec) addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

func (c *connSpec) clientConfig() (*ssh.ClientConfig, func(), error) {
	var auths []ssh.AuthMethod
	cleanup := func() {}
	if c.PrivateKey != "" {
		var signer ssh.Signer
		var err error
		if c.PrivateKeyPassword != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(c.PrivateKey), []byte(c.PrivateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(c.PrivateKey))
		}
		if err != nil {
			// Never echo the key itself.
			return nil, cleanup, fmt.Errorf("could not parse connection.privateKey: %w", err)
		}
		auths = append(auths, ssh.PublicKeys(signer))
	}
	if c.Password != "" {
		pw := c.Password
		auths = append(auths, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	sock := c.AgentSocketPath
	if sock == "" && len(auths) == 0 {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		if ac, err := net.Dial("unix", sock); err == nil {
			auths = append(auths, ssh.PublicKeysCallback(agent.NewClient(ac).Signers))
			cleanup = func() { _ = ac.Close() }
		} else if c.AgentSocketPath != "" {
			return nil, cleanup, fmt.Errorf("could not connect to ssh agent at %s: %w", sock, err)
		}
	}
	if len(auths) == 0 {
		return nil, cleanup, errors.New("no SSH authentication method: set connection.privateKey or connection.password, or run an ssh-agent (SSH_AUTH_SOCK)")
	}
	hostKeyCB := ssh.InsecureIgnoreHostKey() //nolint:gosec // same default as upstream: no known_hosts
	if c.HostKey != "" {
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.HostKey))
		if err != nil {
			return nil, cleanup, fmt.Errorf("could not parse connection.hostKey: %w", err)
		}
		hostKeyCB = ssh.FixedHostKey(pk)
	}
	return &ssh.ClientConfig{
		User:            c.User,
		Auth:            auths,
		HostKeyCallback: hostKeyCB,
		Timeout:         c.PerDialTimeout,
	}, cleanup, nil
}

// dialer opens a raw connection to addr: directly, or through a proxy client.
type dialer func(ctx context.Context, addr string) (net.Conn, error)

func directDialer(timeout time.Duration) dialer {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		return d.DialContext(ctx, "tcp", addr)
	}
}

// dialOnce does one TCP dial + SSH handshake, bounded by PerDialTimeout.
func (c *connSpec) dialOnce(ctx context.Context, cfg *ssh.ClientConfig, dial dialer) (*ssh.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, c.PerDialTimeout)
	defer cancel()
	nc, err := dial(ctx, c.addr())
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	_ = nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(nc, c.addr(), cfg)
	stop()
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// dial connects with retries: up to DialErrorLimit failed attempts (-1 = no
// limit), PerDialTimeout each, dialRetryDelay apart.
func (c *connSpec) dial(ctx context.Context, via dialer) (*ssh.Client, error) {
	cfg, cleanup, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if via == nil {
		via = directDialer(c.PerDialTimeout)
	}
	for attempt := 1; ; attempt++ {
		client, err := c.dialOnce(ctx, cfg, via)
		if err == nil {
			return client, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("dial %s@%s: %w (after %d attempt(s)): %w", c.User, c.addr(), ctx.Err(), attempt, err)
		}
		if c.DialErrorLimit >= 0 && attempt >= max(c.DialErrorLimit, 1) {
			return nil, fmt.Errorf("dial %s@%s: failed after %d attempt(s): %w", c.User, c.addr(), attempt, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("dial %s@%s: %w (after %d attempt(s)): %w", c.User, c.addr(), ctx.Err(), attempt, err)
		case <-time.After(dialRetryDelay):
		}
	}
}

// connect dials the target, through the proxy (jump host) when one is set.
// The returned close function closes every client it opened.
func (c *connSpec) connect(ctx context.Context) (*ssh.Client, func(), error) {
	if c.Proxy == nil {
		cl, err := c.dial(ctx, nil)
		if err != nil {
			return nil, nil, err
		}
		return cl, func() { _ = cl.Close() }, nil
	}
	pc, err := c.Proxy.dial(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("proxy: %w", err)
	}
	via := func(ctx context.Context, addr string) (net.Conn, error) {
		return pc.DialContext(ctx, "tcp", addr)
	}
	cl, err := c.dial(ctx, via)
	if err != nil {
		_ = pc.Close()
		return nil, nil, err
	}
	return cl, func() { _ = cl.Close(); _ = pc.Close() }, nil
}

// runSpec is one command execution.
type runSpec struct {
	Command       string
	CommandSecret bool // do not show the command text in errors
	Stdin         *string
	Env           []string // KEY=VALUE, sent with Setenv (sshd may refuse: ignored)
	Stdout        io.Writer
	Stderr        io.Writer
}

// runResult holds the captured output, one trailing newline trimmed each.
type runResult struct {
	Stdout, Stderr string
}

// runRemote runs spec on a new session of client. It returns the captured
// output and, on failure, an error in upstream's style.
func runRemote(ctx context.Context, client *ssh.Client, spec runSpec) (runResult, error) {
	sess, err := client.NewSession()
	if err != nil {
		return runResult{}, fmt.Errorf("could not open an SSH session: %w", err)
	}
	defer func() { _ = sess.Close() }()
	for _, kv := range spec.Env {
		k, v, _ := strings.Cut(kv, "=")
		_ = sess.Setenv(k, v) // refused unless sshd has AcceptEnv; upstream ignores it too
	}
	if spec.Stdin != nil {
		sess.Stdin = strings.NewReader(*spec.Stdin)
	}
	var outBuf, errBuf lockedBuffer
	sess.Stdout = teeWriter(&outBuf, spec.Stdout)
	sess.Stderr = teeWriter(&errBuf, spec.Stderr)
	if err := sess.Start(spec.Command); err != nil {
		return runResult{}, fmt.Errorf("could not start the command: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = sess.Signal(ssh.SIGKILL)
		_ = sess.Close()
		_ = client.Close()
		<-done
		err = fmt.Errorf("command aborted: %w", ctx.Err())
	}
	res := runResult{
		Stdout: strings.TrimSuffix(outBuf.String(), "\n"),
		Stderr: strings.TrimSuffix(errBuf.String(), "\n"),
	}
	if err != nil {
		return res, commandError(err, spec, res)
	}
	return res, nil
}

// commandError formats a failure like upstream @pulumi/command:
//
//	Process exited with status 3: running "<first 80 chars>...":
//	<stdout>
//	<stderr>
//
// stdin is never included; a secret command is shown as [secret].
func commandError(err error, spec runSpec, res runResult) error {
	shown := spec.Command
	if spec.CommandSecret {
		shown = "[secret]"
	} else if len(shown) > 80 {
		shown = shown[:80] + "..."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: running %q:", err.Error(), shown)
	if res.Stdout != "" {
		b.WriteString("\n" + res.Stdout)
	}
	if res.Stderr != "" {
		b.WriteString("\n" + res.Stderr)
	}
	return errors.New(b.String())
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func teeWriter(buf io.Writer, extra io.Writer) io.Writer {
	if extra == nil {
		return buf
	}
	return io.MultiWriter(buf, extra)
}

// lineLogger calls emit for each complete line written to it (and for the
// remainder on Flush).
type lineLogger struct {
	mu      sync.Mutex
	pending []byte
	emit    func(string)
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, p...)
	for {
		i := bytes.IndexByte(l.pending, '\n')
		if i < 0 {
			break
		}
		line := string(l.pending[:i])
		l.pending = l.pending[i+1:]
		l.emit(line)
	}
	return len(p), nil
}

func (l *lineLogger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) > 0 {
		l.emit(string(l.pending))
		l.pending = nil
	}
}
