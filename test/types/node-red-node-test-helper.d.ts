declare module 'node-red-node-test-helper' {
  interface Helper {
    init(runtimePath?: string, userSettings?: object): void;
    settings(userSettings?: object): object;
    load(nodes: unknown, flow: object[], credentials?: object): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): unknown;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    clearFlows(): Promise<void>;
    setFlows(flow: object[], type?: string, credentials?: object): Promise<void>;
    request(): any;
    url(): string;
    _settings: any;
  }
  const helper: Helper;
  export = helper;
}
