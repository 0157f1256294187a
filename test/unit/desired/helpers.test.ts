import { restrictedViolations } from "./helpers.js";

describe("the restricted-profile check used by the builder tests", () => {
  test("flags a pod that sets nothing", () => {
    expect(restrictedViolations({ containers: [{ name: "c", image: "i" }] })).toEqual([
      "container c: allowPrivilegeEscalation must be false",
      "container c: must drop ALL capabilities",
      "container c: runAsNonRoot must be true",
      "container c: seccompProfile",
    ]);
  });

  test("flags host namespaces, hostPath volumes, privileged containers, added capabilities and host ports", () => {
    const violations = restrictedViolations({
      hostNetwork: true,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      volumes: [{ name: "h", hostPath: { path: "/" } }],
      containers: [
        {
          name: "c",
          image: "i",
          ports: [{ containerPort: 80, hostPort: 80 }],
          securityContext: {
            privileged: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] },
          },
        },
      ],
    });
    expect(violations).toEqual([
      "host namespaces",
      "volume h: type hostPath",
      "container c: privileged",
      "container c: adds SYS_ADMIN",
      "container c: hostPort",
    ]);
  });

  test("accepts pod-level runAsNonRoot and seccomp inherited by the containers", () => {
    expect(
      restrictedViolations({
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "c",
            image: "i",
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          },
        ],
      }),
    ).toEqual([]);
  });
});
