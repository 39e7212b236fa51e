/**
 * The server side of Puhui: the OpenAI-compatible gateway of {@code puhui serve}, the node agent that supervises
 * {@code puhui worker} processes, the model store and the database. Everything here owns I/O; the engine and
 * the policies it calls stay pure.
 */
package io.puhui.server;
