package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// PrepareNamespace does for a new namespace what kube-controller-manager would: the namespace, a ServiceAccount
// sa for its pods, and the kube-root-ca.crt ConfigMap that every pod's projected service-account volume takes its
// ca.crt from (a pod whose volume lacks it never starts).
func (c *Cluster) PrepareNamespace(ctx context.Context, ns, sa string) error {
	if err := c.CreateNamespace(ctx, ns); err != nil {
		return err
	}
	if err := c.CreateServiceAccount(ctx, ns, sa); err != nil {
		return err
	}
	return c.CreateConfigMap(ctx, ns, "kube-root-ca.crt", map[string]string{"ca.crt": string(c.PKI.CA.CertPEM)})
}

// Create POSTs obj (any JSON-able value) to the collection at path as the admin.
func (c *Cluster) Create(ctx context.Context, path string, obj any) error {
	return c.call(ctx, http.MethodPost, path, obj, nil, http.StatusCreated)
}

// Get GETs the object at path into out as the admin.
func (c *Cluster) Get(ctx context.Context, path string, out any) error {
	return c.call(ctx, http.MethodGet, path, nil, out, http.StatusOK)
}

// Delete deletes the object at path as the admin; a missing one is no error.
func (c *Cluster) Delete(ctx context.Context, path string) error {
	return c.call(ctx, http.MethodDelete, path, nil, nil, http.StatusOK, http.StatusAccepted, http.StatusNotFound)
}

// ContainerState is a container's state as the kubelet reports it.
type ContainerState struct {
	Running *struct {
		StartedAt string `json:"startedAt"`
	} `json:"running"`
	Waiting *struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	} `json:"waiting"`
	Terminated *struct {
		ExitCode int    `json:"exitCode"`
		Reason   string `json:"reason"`
		Message  string `json:"message"`
	} `json:"terminated"`
}

// ContainerStatus is one entry of a pod's containerStatuses or ephemeralContainerStatuses.
type ContainerStatus struct {
	Name         string         `json:"name"`
	Ready        bool           `json:"ready"`
	RestartCount int            `json:"restartCount"`
	State        ContainerState `json:"state"`
	LastState    ContainerState `json:"lastState"`
}

// Pod is what the tests read of a Pod.
type Pod struct {
	Metadata struct {
		Name string `json:"name"`
		UID  string `json:"uid"`
	} `json:"metadata"`
	Spec struct {
		NodeName string `json:"nodeName"`
	} `json:"spec"`
	Status struct {
		Phase      string `json:"phase"`
		PodIP      string `json:"podIP"`
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions"`
		InitContainerStatuses      []ContainerStatus `json:"initContainerStatuses"`
		ContainerStatuses          []ContainerStatus `json:"containerStatuses"`
		EphemeralContainerStatuses []ContainerStatus `json:"ephemeralContainerStatuses"`
	} `json:"status"`
}

// Ready says whether the pod's Ready condition is True.
func (p Pod) Ready() bool {
	for _, c := range p.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

// Container is the status of the container, init container or ephemeral container called name, or nil.
func (p Pod) Container(name string) *ContainerStatus {
	for _, list := range [][]ContainerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses, p.Status.EphemeralContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// WaitPod polls pod ns/name every 100 ms until cond holds, for up to timeout, and returns the last pod seen.
func (c *Cluster) WaitPod(ctx context.Context, ns, name string, timeout time.Duration, cond func(Pod) bool) (Pod, error) {
	var pod Pod
	err := poll(ctx, timeout, func() (bool, error) {
		pod = Pod{}
		if err := c.Get(ctx, "/api/v1/namespaces/"+ns+"/pods/"+name, &pod); err != nil {
			return false, err
		}
		return cond(pod), nil
	})
	return pod, err
}

// PodLog is a container's log, through kube-apiserver and the kubelet, as kubectl logs reads it.
func (c *Cluster) PodLog(ctx context.Context, ns, pod, container string) (string, error) {
	path := "/api/v1/namespaces/" + ns + "/pods/" + pod + "/log?container=" + url.QueryEscape(container)
	status, body, err := c.Do(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("GET %s: %w %d: %s", path, errStatus, status, body)
	}
	return string(body), nil
}

// Event is what the tests read of an Event.
type Event struct {
	Type    string `json:"type"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Count   int    `json:"count"`
}

// Events are the events about pod ns/name.
func (c *Cluster) Events(ctx context.Context, ns, name string) ([]Event, error) {
	var list struct {
		Items []Event `json:"items"`
	}
	err := c.Get(ctx, "/api/v1/namespaces/"+ns+"/events?fieldSelector="+url.QueryEscape("involvedObject.name="+name), &list)
	return list.Items, err
}

// deleteNodePods deletes every pod bound to node, with a one-second grace, and waits until the kubelet has
// stopped them and removed their objects, so it tears down their network namespaces before it stops itself.
// It returns how many were left when it gave up.
func (c *Cluster) deleteNodePods(ctx context.Context, node string, timeout time.Duration) (int, error) {
	list := func() ([]struct {
		Metadata struct{ Name, Namespace string } `json:"metadata"`
	}, error) {
		var out struct {
			Items []struct {
				Metadata struct{ Name, Namespace string } `json:"metadata"`
			} `json:"items"`
		}
		err := c.Get(ctx, "/api/v1/pods?fieldSelector="+url.QueryEscape("spec.nodeName="+node), &out)
		return out.Items, err
	}
	pods, err := list()
	if err != nil {
		return 0, err
	}
	for _, p := range pods {
		path := "/api/v1/namespaces/" + p.Metadata.Namespace + "/pods/" + p.Metadata.Name
		if err := c.call(ctx, http.MethodDelete, path, map[string]any{"gracePeriodSeconds": 1}, nil,
			http.StatusOK, http.StatusAccepted, http.StatusNotFound); err != nil {
			return len(pods), err
		}
	}
	left := len(pods)
	err = poll(ctx, timeout, func() (bool, error) {
		pods, err := list()
		left = len(pods)
		return err == nil && left == 0, err
	})
	return left, err
}
