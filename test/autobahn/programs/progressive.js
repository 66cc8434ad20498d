/* eslint-disable -- kept exactly as Autobahn|JS users write it (their style, not this repo's) */
// Progressive call results, as in Autobahn|JS's examples. Only the import differs:
// import autobahn from "autobahn"
import autobahn from "../../../src/node/autobahn/index.js";

var connection = new autobahn.Connection({
   url: process.env.WAMP_URL || "ws://127.0.0.1:8080/ws",
   realm: "realm1"
});

connection.onopen = function (session) {

   function longop (args, kwargs, details) {
      var n = args[0];
      return new Promise(function (resolve) {
         var i = 0;
         function step () {
            if (i < n) {
               if (details.progress) {
                  details.progress([i]);
               }
               i += 1;
               setTimeout(step, 10);
            } else {
               resolve(n);
            }
         }
         step();
      });
   }

   session.register('com.example.longop', longop).then(function () {
      session.call('com.example.longop', [3], {}, {receive_progress: true}).then(
         function (res) {
            console.log("Final:", res);
            connection.close();
         },
         function (err) {
            console.log("Error:", err.error);
            connection.close();
         },
         function (progress) {
            console.log("Progress:", progress);
         }
      );
   });
};

connection.open();
