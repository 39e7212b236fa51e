/**
 * The tunnel: requests and their answers multiplexed over the one WebSocket each agent keeps open to the control
 * plane, with per-stream flow control so that one slow reader cannot stall the other streams on the socket.
 * {@link io.puhui.server.tunnel.Tunnel} is the plane's end, {@link io.puhui.server.tunnel.TunnelHost} the node's.
 */
package io.puhui.server.tunnel;
