// The benchmark's Go engine stand-in: the provider-facing part of `pulumi up` for many new resources, in Go and
// grpc-go as the real engine is, so that the time measured is the provider host's and ours rather than a Node
// client's. Shape (pulumi/pulumi pkg/resource/deploy: step_generator.go, step_executor.go):
//
//   - the step generator takes registrations one at a time: it marshals the inputs, calls Check, unmarshals the
//     checked inputs and hands a create step to the executor;
//   - the step executor runs up to -parallel steps at once: it marshals the checked inputs and calls Create.
//
// Every registration is available at once (a program that declares N resources without dependencies between them).
// Not modelled: checkpoint writes, the language host, display. Messages are built with protowire and structpb (the
// pulumirpc Go types are not needed for two methods); the field numbers are pulumi/proto/pulumi/provider.proto's.
//
// Input (-in): a JSON array of {"urn": "...", "news": {...}}. Output on stdout: one JSON object with the timings;
// with -out, the created resources ({"urn", "id", "properties"}) are written there as a JSON array.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// rawCodec passes already-encoded messages through gRPC unchanged.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

type registration struct {
	URN  string                 `json:"urn"`
	News map[string]interface{} `json:"news"`
}

type created struct {
	URN        string                 `json:"urn"`
	ID         string                 `json:"id"`
	Properties map[string]interface{} `json:"properties"`
}

type step struct {
	index  int
	reg    *registration
	inputs *structpb.Struct
}

// nameAndType splits urn:pulumi:<stack>::<project>::<qualified type>::<name> as the engine does.
func nameAndType(urn string) (string, string) {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return "", ""
	}
	q := parts[2]
	return strings.Join(parts[3:], "::"), q[strings.LastIndex(q, "$")+1:]
}

func appendString(b []byte, field protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMessage(b []byte, field protowire.Number, m proto.Message) ([]byte, error) {
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, body), nil
}

// fields returns the length-delimited fields of a message by number (the last occurrence wins; repeated fields
// are collected in order).
func fields(msg []byte) (map[protowire.Number][][]byte, error) {
	out := map[protowire.Number][][]byte{}
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		msg = msg[n:]
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(msg)
			if m < 0 {
				return nil, protowire.ParseError(m)
			}
			out[num] = append(out[num], v)
			msg = msg[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, msg)
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		msg = msg[m:]
	}
	return out, nil
}

func last(f map[protowire.Number][][]byte, n protowire.Number) []byte {
	if v := f[n]; len(v) > 0 {
		return v[len(v)-1]
	}
	return nil
}

func check(ctx context.Context, conn *grpc.ClientConn, r *registration) (*structpb.Struct, error) {
	news, err := structpb.NewStruct(r.News)
	if err != nil {
		return nil, fmt.Errorf("%s: inputs: %w", r.URN, err)
	}
	name, typ := nameAndType(r.URN)
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	req := appendString(nil, 1, r.URN)
	if req, err = appendMessage(req, 2, &structpb.Struct{}); err != nil {
		return nil, err
	}
	if req, err = appendMessage(req, 3, news); err != nil {
		return nil, err
	}
	req = protowire.AppendTag(req, 5, protowire.BytesType)
	req = protowire.AppendBytes(req, seed)
	req = appendString(req, 6, name)
	req = appendString(req, 7, typ)
	var resp []byte
	if err := conn.Invoke(ctx, "/pulumirpc.ResourceProvider/Check", &req, &resp, grpc.ForceCodec(rawCodec{})); err != nil {
		return nil, fmt.Errorf("check %s: %w", r.URN, err)
	}
	f, err := fields(resp)
	if err != nil {
		return nil, fmt.Errorf("check %s: response: %w", r.URN, err)
	}
	if failures := f[2]; len(failures) > 0 {
		msgs := []string{}
		for _, fb := range failures {
			ff, err := fields(fb)
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, fmt.Sprintf("%s: %s", last(ff, 1), last(ff, 2)))
		}
		return nil, fmt.Errorf("check %s failed: %s", r.URN, strings.Join(msgs, "; "))
	}
	inputs := &structpb.Struct{}
	if err := proto.Unmarshal(last(f, 1), inputs); err != nil {
		return nil, fmt.Errorf("check %s: inputs: %w", r.URN, err)
	}
	return inputs, nil
}

func create(ctx context.Context, conn *grpc.ClientConn, s step) (string, *structpb.Struct, error) {
	name, typ := nameAndType(s.reg.URN)
	req := appendString(nil, 1, s.reg.URN)
	req, err := appendMessage(req, 2, s.inputs)
	if err != nil {
		return "", nil, err
	}
	req = appendString(req, 5, name)
	req = appendString(req, 6, typ)
	var resp []byte
	if err := conn.Invoke(ctx, "/pulumirpc.ResourceProvider/Create", &req, &resp, grpc.ForceCodec(rawCodec{})); err != nil {
		return "", nil, fmt.Errorf("create %s: %w", s.reg.URN, err)
	}
	f, err := fields(resp)
	if err != nil {
		return "", nil, fmt.Errorf("create %s: response: %w", s.reg.URN, err)
	}
	id := string(last(f, 1))
	if id == "" {
		return "", nil, fmt.Errorf("plugin returned empty resource.ID from create '%s'", s.reg.URN)
	}
	props := &structpb.Struct{}
	if err := proto.Unmarshal(last(f, 2), props); err != nil {
		return "", nil, fmt.Errorf("create %s: properties: %w", s.reg.URN, err)
	}
	return id, props, nil
}

func main() {
	addr := flag.String("addr", "", "provider host address (127.0.0.1:PORT)")
	parallel := flag.Int("parallel", 8, "step executor workers (the CLI's --parallel)")
	in := flag.String("in", "", "registrations (JSON array of {urn, news})")
	out := flag.String("out", "", "write the created resources here (JSON)")
	flag.Parse()

	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "engine:", err)
		os.Exit(1)
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		fail(err)
	}
	var regs []registration
	if err := json.Unmarshal(data, &regs); err != nil {
		fail(err)
	}
	conn, err := grpc.Dial(*addr, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	results := make([]created, len(regs))
	steps := make(chan step, len(regs))
	errs := make(chan error, 1+*parallel)
	var firstCreate, lastCheck time.Duration
	var once sync.Once
	t0 := time.Now()

	go func() { // the step generator
		defer close(steps)
		for i := range regs {
			inputs, err := check(ctx, conn, &regs[i])
			if err != nil {
				errs <- err
				cancel()
				return
			}
			steps <- step{i, &regs[i], inputs}
		}
		lastCheck = time.Since(t0)
	}()
	var wg sync.WaitGroup
	for w := 0; w < *parallel; w++ { // the step executor
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range steps {
				id, props, err := create(ctx, conn, s)
				if err != nil {
					errs <- err
					cancel()
					return
				}
				once.Do(func() { firstCreate = time.Since(t0) })
				results[s.index] = created{URN: s.reg.URN, ID: id, Properties: props.AsMap()}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0)
	select {
	case err := <-errs:
		fail(err)
	default:
	}
	if *out != "" {
		b, err := json.Marshal(results)
		if err != nil {
			fail(err)
		}
		if err := os.WriteFile(*out, b, 0o600); err != nil {
			fail(err)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var ru syscall.Rusage
	cpuMs := 0.0
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpuMs = ms(time.Duration(ru.Utime.Nano() + ru.Stime.Nano()))
	}
	b, _ := json.Marshal(map[string]interface{}{"wallMs": ms(wall), "lastCheckMs": ms(lastCheck), "firstCreateMs": ms(firstCreate), "cpuMs": cpuMs, "resources": len(regs)})
	fmt.Println(string(b))
}
