/** Test helper: an anonymous session on the in-memory test-kit router, with one serializer. */
import { Effect, Layer } from "effect"
import * as Authenticator from "../../src/Authenticator.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import type * as Router from "../../src/testing/Router.js"
import * as Transport from "../../src/Transport.js"

export const sessionOver = (router: Router.RouterService, serializer: Serializer.SerializerService) =>
  Session.make({ realm: "realm1", goodbyeTimeout: "500 millis" }).pipe(
    Effect.provide(Layer.mergeAll(
      Layer.succeed(Transport.Transport, router.transport),
      Serializer.layerList(serializer),
      Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous())
    ))
  )
